"""Train the tickets model (``processors/tickets/tickets_model.npz``) and estimate it honestly.

The model is fitted on the labelled sets A and C (two authors) and judged only across them:
train on A, score C through the real stage (thread state included); train on C, score A; and
a grouped K-fold over A+C by ticket (a thread's texts never straddle train and test). B, the
held-out set, is never read here.

Each text's inputs come from replaying its set through the stage with the rules alone; the
thread's state a text sees is the one the labels give (was the previous text urgent?), since
that is what a well-judged thread looks like. Fitting is deterministic (lbfgs, sorted
features, no shuffling): the same data give the same file.

    python -m benchmarks.tickets.train            # CV figures, then write the model file
    python -m benchmarks.tickets.train --cv-only  # CV figures only
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import numpy as np

from benchmarks.tickets.run import DATA, Line, evaluate, load, replay
from processors.tickets.analyse import Analyser, Reading, Verdict
from processors.tickets.learner import Learner
from processors.tickets.model import MODEL_PATH, TextModel
from processors.tickets.processor import TicketsProcessor
from processors.tickets.rules import load_rules
from processors.tickets.thread import Thread

TRAIN_SETS = (("A", DATA / "tickets_a.jsonl"), ("C", DATA / "tickets_c.jsonl"))
WORD_PREFIXES = ("w:", "p:")


@dataclass(frozen=True, slots=True)
class Params:
    c_urgent: float = 1.0
    c_sentiment: float = 1.0
    word_scale: float = 1.0
    """Text features are multiplied by this while fitting: below 1 they are regularised
    harder than the rule features."""
    min_df: int = 2
    balanced: bool = True
    thread_rules: bool = False
    rounds: int = 2
    urgent_shift: float = 0.0
    """Added to the urgency bias: moves the decision threshold (precision against recall)."""
    drop: tuple[str, ...] = ()
    """Feature name prefixes left out (e.g. ``r:logit``: do not lean on the rule total)."""


PARAMS = Params()


class _Tracer(Analyser):
    """The rules alone, recording model inputs; the thread follows the labels."""

    gold: bool | None = None

    def judge(self, r: Reading, thread: Thread | None = None, status: str | None = None
              ) -> Verdict:
        v = super().judge(r, thread, status)
        if self.gold is not None:
            v.urgent = self.gold
        return v


@dataclass(slots=True)
class Rows:
    x: list[dict[str, float]]
    urgent: list[bool]
    sentiment: list[str]
    group: list[str]


def rows(lines: list[Line], tag: str, model: TextModel | None = None, p: Params = PARAMS
         ) -> Rows:
    """The model inputs of every labelled text of a set. Without a model, the rules score and
    the thread follows the labels; with one, the thread follows that model's own verdicts
    (the state it will meet in the stage)."""
    an = _Tracer(Learner(), model=model, thread_rules=p.thread_rules)
    an.trace = []
    proc = TicketsProcessor(load_rules(), analyser=an)
    out = Rows([], [], [], [])
    for i, ln in enumerate(lines):
        an.gold = (ln.labels or {}).get("urgent") if model is None else None
        before = len(an.trace)
        proc.on_event(ln.event, partition=0, now=float(i))
        if len(an.trace) == before + 1 and ln.labels and "urgent" in ln.labels \
                and "sentiment" in ln.labels:
            tx, rx = an.trace[-1]
            out.x.append({**tx, **rx})
            out.urgent.append(ln.labels["urgent"])
            out.sentiment.append(ln.labels["sentiment"])
            out.group.append(f"{tag}|{ln.event.tenant_id}|{ln.event.data.ticket_id}")
    return out


def fit_sets(sets: dict[str, list[Line]], p: Params = PARAMS) -> TextModel:
    """Two rounds: on the labels' thread state, then again on the state the first model's
    own verdicts give (so one wrong opener does not teach "every comment follows")."""
    model = fit(_merge([rows(lines, tag, p=p) for tag, lines in sets.items()]), p)
    for _ in range(p.rounds - 1):
        model = fit(_merge([rows(lines, tag, model, p) for tag, lines in sets.items()]), p)
    return model


def _merge(parts: list[Rows]) -> Rows:
    return Rows([x for d in parts for x in d.x], [u for d in parts for u in d.urgent],
                [s for d in parts for s in d.sentiment], [g for d in parts for g in d.group])


def fit(data: Rows, p: Params = PARAMS) -> TextModel:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    df = Counter(k for x in data.x for k in x)
    xs = [{k: (v * p.word_scale if k.startswith(WORD_PREFIXES) else v) for k, v in x.items()
           if (df[k] >= p.min_df or not k.startswith(WORD_PREFIXES))
           and not (p.drop and k.startswith(p.drop))} for x in data.x]
    dv = DictVectorizer(sort=True)
    m = dv.fit_transform(xs)
    cw = "balanced" if p.balanced else None
    lu = LogisticRegression(C=p.c_urgent, max_iter=5000, class_weight=cw).fit(m, data.urgent)
    ls = LogisticRegression(C=p.c_sentiment, max_iter=5000, class_weight=cw).fit(
        m, data.sentiment)
    assert list(ls.classes_) == ["negative", "neutral", "positive"], ls.classes_
    names = list(dv.get_feature_names_out())
    w = np.column_stack([lu.coef_[0], ls.coef_.T])
    scale = np.array([p.word_scale if n.startswith(WORD_PREFIXES) else 1.0 for n in names])
    w = w * scale[:, None]
    keep = np.abs(w).max(axis=1) >= 1e-4
    bias = np.concatenate([lu.intercept_ + p.urgent_shift, ls.intercept_])
    return TextModel([n for n, k in zip(names, keep, strict=True) if k], w[keep], bias)


def score(model: TextModel, lines: list[Line], p: Params = PARAMS) -> dict[str, Any]:
    """The set through the real stage with this model: the benchmark's figures."""
    an = Analyser(Learner(), model=model, thread_rules=p.thread_rules)
    return evaluate(lines, replay(lines, load_rules(), analyser=an))


def _subset(lines: list[Line], groups: set[str], tag: str) -> list[Line]:
    return [ln for ln in lines
            if f"{tag}|{ln.event.tenant_id}|{ln.event.data.ticket_id}" in groups]


def cross_validate(sets: dict[str, list[Line]], p: Params = PARAMS, k: int = 5
                   ) -> dict[str, Any]:
    """A->C, C->A and grouped K-fold by ticket over A+C (pooled predictions)."""
    from benchmarks.tickets.metrics import prf, sentiment_f1

    out: dict[str, Any] = {}
    tags = list(sets)
    if len(tags) == 2:
        for tr, te in (tags, tags[::-1]):
            out[f"{tr}->{te}"] = _brief(score(fit_sets({tr: sets[tr]}, p), sets[te], p))
    groups = sorted({f"{tag}|{ln.event.tenant_id}|{ln.event.data.ticket_id}"
                     for tag, lines in sets.items() for ln in lines})
    pred: dict[str, list[Any]] = {"u": [], "tu": [], "s": [], "ts": [], "tag": []}
    for i in range(k):
        fold = set(groups[i::k])
        rest = set(groups) - fold
        model = fit_sets({tag: _subset(lines, rest, tag) for tag, lines in sets.items()}, p)
        for tag, lines in sets.items():
            test = _subset(lines, fold, tag)
            an = Analyser(Learner(), model=model, thread_rules=p.thread_rules)
            ins = replay(test, load_rules(), analyser=an)
            for ln in test:
                if ln.labels and ln.event.id in ins:
                    d = ins[ln.event.id].data
                    pred["u"].append(d.urgent)
                    pred["tu"].append(ln.labels["urgent"])
                    pred["s"].append(d.sentiment)
                    pred["ts"].append(ln.labels["sentiment"])
                    pred["tag"].append(tag)
    for only in (None, *tags):
        keep = [only is None or t == only for t in pred["tag"]]
        sel = {key: [v for v, ok in zip(vals, keep, strict=True) if ok]
               for key, vals in pred.items()}
        out[f"{k}-fold by ticket, A+C" + (f" (scored on {only})" if only else "")] = _brief(
            {"urgency": prf(sel["u"], sel["tu"]), "sentiment": sentiment_f1(sel["s"], sel["ts"])})
    return out


def _brief(f: dict[str, Any]) -> dict[str, float]:
    u, s = f["urgency"], f["sentiment"]
    return {"urgency_p": round(u["precision"], 3), "urgency_r": round(u["recall"], 3),
            "urgency_f1": round(u["f1"], 3), "neg_f1": round(s["negative"], 3),
            "neu_f1": round(s["neutral"], 3), "pos_f1": round(s["positive"], 3),
            "sentiment_macro_f1": round(s["macro_f1"], 3)}


def available_sets() -> dict[str, list[Line]]:
    """A, and C once its author has finished it (its README is written last)."""
    return {tag: load(path) for tag, path in TRAIN_SETS
            if path.exists() and path.with_name(f"README_{tag.lower()}.md").exists()}


def train(path: Path = MODEL_PATH, p: Params = PARAMS) -> TextModel:
    model = fit_sets(available_sets(), p)
    model.save(path)
    return model


@click.command()
@click.option("--cv-only", is_flag=True, help="Print the cross-set figures, write nothing")
def main(cv_only: bool) -> None:
    sets = available_sets()
    click.echo(f"training sets: {', '.join(f'{t} ({len(v)} lines)' for t, v in sets.items())}")
    for name, fig in cross_validate(sets).items():
        click.echo(f"{name:24} {json.dumps(fig)}")
    if not cv_only:
        model = train()
        click.echo(f"wrote {MODEL_PATH} ({len(model.weights)} features, "
                   f"{MODEL_PATH.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
