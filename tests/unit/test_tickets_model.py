"""The tickets model: loaded once, deterministic, the same numbers at run time as in training,
its reasons shown, and insights built without re-validation equal to validated ones."""

from __future__ import annotations

import itertools

import pytest

from benchmarks.tickets.train import Params, Rows, fit
from processors.tickets import processor as tickets_processor
from processors.tickets.analyse import Analyser
from processors.tickets.learner import Learner
from processors.tickets.model import (
    MODEL_PATH,
    TextModel,
    sentiment_total,
    shipped_model,
    text_features,
)
from processors.tickets.processor import TicketsProcessor
from processors.tickets.scoring import sentiment_label
from processors.tickets.text import normalise, tokens
from schemas.insights import TicketInsightEvent
from tests.unit.tickets_events import insights, proc, rules, run, ticket

TEXTS = [
    "Nobody on the 2nd floor can log in, about 40 people, the whole floor lost network",
    "the wifi in the canteen is slow again, third time I'm writing about this",
    "fixed, thanks a lot, you saved my day!",
    "VPN connect nahi ho raha, kal se problem hai",
    "",
    "1234 5678",
]


def test_the_shipped_model_is_small_and_loaded_once() -> None:
    assert MODEL_PATH.exists() and MODEL_PATH.stat().st_size < 2_000_000
    a, b = Analyser(Learner()), Analyser(Learner())
    assert a.model is not None and a.model is b.model is shipped_model()


def test_run_time_features_are_the_training_features() -> None:
    m = shipped_model()
    assert m is not None
    for text in TEXTS:
        toks = tokens(normalise(text))
        tx = text_features(toks, "en")
        want = [sum(m.weights.get(k, (0.0,) * 4)[i] * v for k, v in tx.items())
                for i in range(4)]
        assert m.read(toks, "en").sums == pytest.approx(want, abs=1e-12)


def _rows() -> Rows:
    x = [{**text_features(tokens(normalise(t)), "en"), "r:logit": float(i % 3) - 1.0}
         for i, t in enumerate(TEXTS * 3)]
    urgent = [i % 3 == 2 for i in range(len(x))]
    sentiment = [("negative", "neutral", "positive")[i % 3] for i in range(len(x))]
    return Rows(x, urgent, sentiment, [str(i) for i in range(len(x))])


def test_fitting_is_deterministic_and_round_trips(tmp_path) -> None:
    a, b = fit(_rows(), Params(min_df=1)), fit(_rows(), Params(min_df=1))
    assert a.weights == b.weights and a.bias == b.bias
    a.save(tmp_path / "m.npz")
    c = TextModel.load(tmp_path / "m.npz")
    assert set(c.weights) == set(a.weights)
    for k, w in a.weights.items():
        assert c.weights[k] == pytest.approx(w, abs=1e-6)


def test_sentiment_total_keeps_the_winning_class() -> None:
    grid = [-2.0, -0.5, 0.0, 0.3, 1.7]
    for classes in itertools.product(grid, repeat=3):
        if len(set(classes)) < 3:
            continue
        want = ("negative", "neutral", "positive")[classes.index(max(classes))]
        assert sentiment_label(sentiment_total(classes, 0.9), 0.9)[0] == want


def test_insights_carry_a_model_reason_with_its_words() -> None:
    [ins] = insights(run(proc(), [ticket("m-1", "T-1", 0, TEXTS[0], action="created")]))
    model = [r for r in ins.reasons if r.kind == "model"]
    assert model and model[0].evidence and ins.urgent  # the words that pushed urgency
    rules_only = TicketsProcessor(rules(), analyser=Analyser(Learner(), model=None))
    [plain] = insights(run(rules_only, [ticket("m-1", "T-1", 0, TEXTS[0], action="created")]))
    assert "model" not in {r.kind for r in plain.reasons}


def test_the_same_stream_gives_the_same_verdicts() -> None:
    events = [ticket(f"d-{i}", "T-1", i, t, action="created" if i == 0 else "commented")
              for i, t in enumerate(TEXTS)]
    a = [(i.urgent, i.urgency, i.sentiment) for i in insights(run(proc(), events))]
    b = [(i.urgent, i.urgency, i.sentiment) for i in insights(run(proc(), events))]
    assert a == b and len(a) == 5  # the empty text updates the thread only


def test_built_insights_equal_validated_ones() -> None:
    assert tickets_processor._FAST
    events = [ticket(f"v-{i}", "T-1", i, t, action="created" if i == 0 else "commented",
                     requester="ann@acme.example", site="par1")
              for i, t in enumerate(TEXTS)]
    out = [e for e in run(proc(), events) if e.type == "aiops.ticket-insight"]
    assert len(out) == 5
    for ev in out:
        again = TicketInsightEvent.model_validate(ev.model_dump())
        assert again == ev and again.model_dump_json() == ev.model_dump_json()


def test_top_contributions_are_the_largest_and_ties_go_by_name() -> None:
    """Ties are broken by name, never by set order: every worker and every restart gives
    the same reasons whatever the process's hash seed."""
    from processors.tickets.model import _PLAIN, TextPart

    found = [("vpn", 0.5), ("down", 0.5), ("the", 0.9), ("office", -0.2), ("floor", 0.1),
             ("since", 0.5), ("whole", -0.2), ("lift", 0.5), ("again", -0.2)]
    part = TextPart((0.0, 0.0, 0.0, 0.0), found, 1.0)
    for sign in (1.0, -1.0):
        for k in (0, 1, 2, 3, 5):
            want = sorted((f for f in found if f[1] * sign > 0 and f[0] not in _PLAIN),
                          key=lambda f, s=sign: (-f[1] * s, f[0]))[:k]
            assert part.top(sign, k) == [(n, round(w, 2)) for n, w in want]
    assert [n for n, _ in part.top(1.0, 3)] == sorted(
        n for n, w in found if w == 0.5 and n not in _PLAIN)[:3]
    reversed_part = TextPart((0.0, 0.0, 0.0, 0.0), found[::-1], 1.0)
    assert reversed_part.top(1.0, 3) == part.top(1.0, 3)

