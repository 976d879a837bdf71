"""Demo-like rows for every table without Kafka: the demo stream, run through the stages'
processors in one process (anomaly alerts feed clustering), mapped to rows as ingest maps them."""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from config.settings import AnomalySettings, Settings, section_of
from connectors.demo_source import DemoStream
from pipelines.stages import STAGES
from schemas.registry import event_type
from schemas.validation import Invalid, parse_event

END = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@cache
def demo_rows(hours: float = 24, seed: int = 7, end: datetime = END) -> dict[str, list[dict]]:
    # a day of data, judged from the detectors' warm-up on (the shipped policy would spend it
    # learning): anomalies, their alerts and incidents for the tables and panels under test
    settings = Settings(anomaly=AnomalySettings(
        config_path=Path(__file__).with_name("anomaly_judge_at_once.yaml")))
    stages = [(st, st.build(section_of(settings, st.name))) for st in STAGES]
    rows: dict[str, list[dict]] = defaultdict(list)
    queue = deque()
    for produced in DemoStream(seed, hours=hours, end=end).all(invalid_ratio=0):
        ev = parse_event(produced.value)
        assert not isinstance(ev, Invalid), ev
        queue.append(ev)
    clock = 0.0
    while queue:
        ev = queue.popleft()
        spec = event_type(ev.type)
        if spec.table is not None:
            rows[spec.table].append(spec.row(ev))
        clock = max(clock, ev.time.timestamp())
        derived = []
        for st, proc in stages:
            if ev.type in st.inputs:
                derived += proc.on_event(ev, partition=0, now=clock)
        queue.extendleft(reversed(derived))  # next, as a live pipeline would: not a day later
        if not queue:  # the end of the stream: let every timer fire (windows, resolutions)
            for _, proc in stages:
                queue.extend(proc.on_timer(end.timestamp() + 86400))
                if hasattr(proc, "on_idle"):
                    queue.extend(proc.on_idle(end.timestamp() + 86400))
            end = datetime.fromtimestamp(end.timestamp() + 86400, UTC)
            if end.timestamp() > END.timestamp() + 3 * 86400:
                break
    return dict(rows)
