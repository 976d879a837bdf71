"""`aiops bench tickets`: ticket texts through the tickets processor, thread state included.

Each input line is a ``ticket.event`` (or ``ticket.feedback``) envelope, in stream order; a
line may carry a ``labels`` object (``urgent``, ``sentiment``, ``language``), which is taken
off before the envelope is validated exactly as the stage would. The processor runs as in the
stage: feedback turns into examples that go back through ``on_side``.

Printed per data set: urgency precision/recall/F1, sentiment per-class and macro F1, language
accuracy, each beside a plain baseline on the same texts (VADER's compound score; "priority
high/urgent or 'urgent' in the text"), and throughput: texts per second through
``on_event`` alone (envelopes parsed beforehand; language, cues, urgency, sentiment, learner,
thread state and the output events), median of several repeats on one core, with an empty and
with a trained learner, beside VADER's ``polarity_scores`` on the same texts.

    aiops bench tickets                       # the shipped sets: A, C (tuning) and B (held out),
                                              # then the A<->C cross-validation of the model
    aiops bench tickets --data FILE --out scores.jsonl --json

A and C train the shipped model (``python -m benchmarks.tickets.train``), so their figures are
fits, not estimates; the cross-validation across them (train on one, score the other; 5-fold by
ticket over both) is the estimate the model was chosen with, and B is the held-out check.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import orjson

from benchmarks.tickets.metrics import naive_urgent, prf, sentiment_f1, vader_label
from processors.tickets.analyse import Analyser
from processors.tickets.learner import Learner
from processors.tickets.processor import TicketsProcessor
from processors.tickets.rules import TicketRules, load_rules
from schemas.insights import TicketExampleEvent, TicketInsightEvent
from schemas.validation import Invalid, parse_event

DATA = Path(__file__).with_name("data")
SETS = (("A (tuning, trains the model)", DATA / "tickets_a.jsonl"),
        ("C (tuning, trains the model)", DATA / "tickets_c.jsonl"),
        ("B (held out)", DATA / "tickets_b.jsonl"))
_LABELS = {"urgent": bool, "sentiment": str, "language": str}
REPEATS = 5


@dataclass(slots=True)
class Line:
    no: int
    event: Any
    labels: dict[str, Any] | None
    text: str
    priority: str | None


def load(path: Path) -> list[Line]:
    """Parse a file; a bad line is an error naming the file, the line and what is wrong."""
    lines: list[Line] = []
    with path.open("rb") as f:
        for no, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            lines.append(_line(path, no, raw))
    if not lines:
        raise click.ClickException(f"{path}: no events")
    return lines


def _line(path: Path, no: int, raw: bytes) -> Line:
    where = f"{path} line {no}"
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise click.ClickException(f"{where}: not JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise click.ClickException(f"{where}: expected a JSON object (an event envelope)")
    labels = obj.pop("labels", None)
    if labels is not None:
        if not isinstance(labels, dict):
            raise click.ClickException(f"{where}: labels must be an object")
        for k, v in labels.items():
            if k not in _LABELS:
                raise click.ClickException(f"{where}: unknown label {k!r} "
                                           f"(known: {', '.join(_LABELS)})")
            if not isinstance(v, _LABELS[k]):
                raise click.ClickException(f"{where}: label {k} must be a "
                                           f"{_LABELS[k].__name__}, got {v!r}")
        if labels.get("sentiment") not in (None, "negative", "neutral", "positive"):
            raise click.ClickException(f"{where}: label sentiment must be negative, neutral "
                                       f"or positive, got {labels['sentiment']!r}")
    ev = parse_event(orjson.dumps(obj), allowed_types=("ticket.event", "ticket.feedback"),
                     topic="tickets.events")
    if isinstance(ev, Invalid):
        raise click.ClickException(f"{where}: {ev.message}")
    text, priority = "", None
    if ev.type == "ticket.event":
        d = ev.data
        text = f"{d.subject}\n{d.text}" if d.action == "created" and d.subject else d.text
        priority = d.priority
    return Line(no, ev, labels, text, priority)


def replay(lines: list[Line], rules: TicketRules, learner: Learner | None = None,
           analyser: Analyser | None = None) -> dict[str, TicketInsightEvent]:
    """Every line through a fresh processor; insight per text event id."""
    proc = TicketsProcessor(rules, analyser=analyser or Analyser(learner or Learner()))
    out: dict[str, TicketInsightEvent] = {}
    for i, line in enumerate(lines):
        for ev in proc.on_event(line.event, partition=0, now=float(i)):
            if isinstance(ev, TicketInsightEvent):
                out[ev.data.text_id] = ev
            elif isinstance(ev, TicketExampleEvent):
                proc.on_side(ev, now=float(i))
    return out


def throughput(lines: list[Line], rules: TicketRules, learner: Learner | None = None
               ) -> float:
    """Texts per second through ``on_event``, median of ``REPEATS`` runs of ~20,000 texts."""
    n_text = sum(1 for ln in lines if ln.text.strip())
    passes = max(1, 20_000 // max(1, n_text))
    rates = []
    for _ in range(REPEATS):
        procs = [TicketsProcessor(rules, analyser=Analyser(learner or Learner()))
                 for _ in range(passes)]
        events = [ln.event for ln in lines]
        t0 = time.perf_counter()
        for proc in procs:
            on_event = proc.on_event
            for ev in events:
                on_event(ev, partition=0, now=0.0)
        rates.append(n_text * passes / (time.perf_counter() - t0))
    return statistics.median(rates)


def vader_rate(texts: list[str]) -> float:
    vader_label("warm up")
    reps = max(1, 5_000 // max(1, len(texts)))
    t0 = time.perf_counter()
    for _ in range(reps):
        for t in texts:
            vader_label(t)
    return len(texts) * reps / (time.perf_counter() - t0)


def trained_learner(lines: list[Line], n: int = 100) -> Learner:
    """A learner that has seen ``n`` examples (for timing the path with a learned model)."""
    analyser = Analyser(Learner())
    texts = [ln for ln in lines if ln.text.strip()][:n]
    for i, ln in enumerate(texts):
        analyser.learn(ln.text, None, urgent=i % 3 == 0, sentiment="neutral")
    return analyser.learner


def evaluate(lines: list[Line], insights: dict[str, TicketInsightEvent]) -> dict[str, Any]:
    rows = [(ln, insights[ln.event.id].data) for ln in lines
            if ln.labels and ln.event.id in insights]
    fig: dict[str, Any] = {"texts": len(insights), "labelled": len(rows)}
    urg = [(ins.urgent, ln.labels["urgent"], naive_urgent(ln.text, ln.priority))
           for ln, ins in rows if "urgent" in ln.labels]
    if urg:
        fig["urgency"] = prf([p for p, _, _ in urg], [t for _, t, _ in urg])
        fig["urgency_baseline"] = prf([b for _, _, b in urg], [t for _, t, _ in urg])
    sen = [(ins.sentiment, ln.labels["sentiment"], vader_label(ln.text))
           for ln, ins in rows if "sentiment" in ln.labels]
    if sen:
        fig["sentiment"] = sentiment_f1([p for p, _, _ in sen], [t for _, t, _ in sen])
        fig["sentiment_vader"] = sentiment_f1([v for _, _, v in sen], [t for _, t, _ in sen])
    lang = [(ins.language, ln.labels["language"]) for ln, ins in rows if "language" in ln.labels]
    if lang:
        fig["language_accuracy"] = sum(p == t for p, t in lang) / len(lang)
        per: dict[str, list[bool]] = {}
        for p, t in lang:
            per.setdefault(t, []).append(p == t)
        fig["language_per_label"] = {k: sum(v) / len(v) for k, v in sorted(per.items())}
    return fig


def run(data: Path | None = None, out: Path | None = None, as_json: bool = False) -> dict:
    rules = load_rules()
    sets = [(str(data), data)] if data is not None else list(SETS)
    results: dict[str, Any] = {}
    records: list[dict[str, Any]] = []
    for name, path in sets:
        if not path.exists():
            raise click.ClickException(f"{path}: no such file")
        lines = load(path)
        insights = replay(lines, rules)
        fig = evaluate(lines, insights)
        texts = [ln.text for ln in lines if ln.text.strip()]
        fig["throughput"] = {
            "texts_per_s": round(throughput(lines, rules)),
            "texts_per_s_trained_learner": round(throughput(lines, rules,
                                                            trained_learner(lines))),
            "vader_texts_per_s": round(vader_rate(texts)), "repeats": REPEATS}
        fig["throughput"]["ratio_to_vader"] = round(
            fig["throughput"]["texts_per_s"] / fig["throughput"]["vader_texts_per_s"], 2)
        results[name] = fig
        click.echo(_table(name, path, fig))
        records += [_record(name if data is None else None, ln, insights[ln.event.id].data)
                    for ln in lines if ln.event.id in insights]
    if data is None:
        results["cv"] = _cv()
    if out is not None:
        with out.open("wb") as f:
            for r in records:
                f.write(orjson.dumps(r) + b"\n")
        click.echo(f"wrote {len(records)} scored texts to {out}")
    if as_json:
        click.echo(json.dumps(results, sort_keys=True))
    return results


def _cv() -> dict[str, Any]:
    """The model's cross-validation over A and C (B is never used to train or choose)."""
    from benchmarks.tickets.train import available_sets, cross_validate

    sets = available_sets()
    if len(sets) < 2:
        return {}
    cv = cross_validate(sets)
    rows = ["== model cross-validation over A and C (what the model was chosen with) ==",
            f"{'':38}{'urg P':>7}{'urg R':>7}{'urg F1':>7}{'neg F1':>7}{'neu F1':>7}"
            f"{'pos F1':>7}{'macro':>7}"]
    for name, f in cv.items():
        rows.append(f"{name:38}" + "".join(f"{f[k]:>7.3f}" for k in (
            "urgency_p", "urgency_r", "urgency_f1", "neg_f1", "neu_f1", "pos_f1",
            "sentiment_macro_f1")))
    click.echo("\n".join(rows) + "\n")
    return cv


def _record(set_name: str | None, ln: Line, ins: Any) -> dict[str, Any]:
    r = {"id": ln.event.id, "ticket_id": ins.ticket_id, "seq": ins.seq, "urgent": ins.urgent,
         "urgency": ins.urgency, "sentiment": ins.sentiment,
         "sentiment_score": ins.sentiment_score, "language": ins.language,
         "readable": ins.readable, "thread_urgent": ins.thread_urgent,
         "escalated": ins.escalated, "topics": ins.topics,
         "parts": {r.kind: r.weight for r in ins.reasons}}
    if set_name:
        r["set"] = set_name
    if ln.labels:
        r["labels"] = ln.labels
    return r


def _table(name: str, path: Path, f: dict[str, Any]) -> str:
    rows = [f"== {name}: {path} ({f['texts']} texts, {f['labelled']} labelled) ==",
            f"{'':28}{'tickets stage':>14}{'baseline':>12}"]
    if "urgency" in f:
        u, b = f["urgency"], f["urgency_baseline"]
        for k in ("precision", "recall", "f1"):
            rows.append(f"{'urgency ' + k:28}{u[k]:>14.3f}{b[k]:>12.3f}")
        counts = [f"{x['tp']}/{x['fp']}/{x['fn']}" for x in (u, b)]
        rows.append(f"{'  (tp/fp/fn)':28}{counts[0]:>14}{counts[1]:>12}")
    if "sentiment" in f:
        s, v = f["sentiment"], f["sentiment_vader"]
        for k in ("negative", "neutral", "positive", "macro_f1", "accuracy"):
            label = f"sentiment {k}" + (" F1" if k in ("negative", "neutral", "positive")
                                        else "")
            rows.append(f"{label:28}{s[k]:>14.3f}{v[k]:>12.3f}")
    if "language_accuracy" in f:
        rows.append(f"{'language accuracy':28}{f['language_accuracy']:>14.3f}")
        for k, v in f["language_per_label"].items():
            rows.append(f"{'  ' + k:28}{v:>14.3f}")
    t = f["throughput"]
    rows += [f"{'texts/s (one core, median)':28}{t['texts_per_s']:>14,}"
             f"{t['vader_texts_per_s']:>12,}",
             f"{'  with a trained learner':28}{t['texts_per_s_trained_learner']:>14,}",
             f"{'  ratio to plain VADER':28}{t['ratio_to_vader']:>14.2f}",
             "baselines: urgency = priority high/urgent or 'urgent' in the text; sentiment = "
             "VADER compound (>= 0.05 positive, <= -0.05 negative); speed = VADER alone", ""]
    return "\n".join(rows)
