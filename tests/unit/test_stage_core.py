"""The generic stage's bookkeeping (no Kafka): redelivery after a restore, declared outputs,
partition revocation, and the registry's checks on a stage registration."""

from __future__ import annotations

import orjson
import pytest

from pipelines.stage import StageCore, UndeclaredOutput
from pipelines.stages import STAGES, stage, stage_names
from processors.help_activity import STAGE as HELP
from processors.help_activity import HelpActivityProcessor
from processors.protocol import Processor
from processors.router import Record
from schemas.topics import topic, topic_for_type
from tests.unit.examples import valid

TOPIC = "help.interactions"


def view(i: int, article: str = "kb-1", minute: int = 0, session: str = "s-1") -> bytes:
    ev = valid("help.interaction")
    ev["id"] = f"h-{i}"
    ev["data"] = {"kind": "article_view", "timestamp": f"2026-11-23T12:{minute:02d}:{i % 60:02d}Z",
                  "session_id": session, "article_id": article}
    return orjson.dumps(ev)


def records(values: list[bytes], start: int = 0, partition: int = 0) -> list[Record]:
    return [Record(TOPIC, partition, start + i, 0, b"k", v) for i, v in enumerate(values)]


def core() -> StageCore:
    return StageCore(HELP, HelpActivityProcessor(window_s=60, lateness_s=0))


def test_a_restart_from_the_state_topic_continues_exactly() -> None:
    first = core()
    first.handle(records([view(i) for i in range(5)]), now=1.0)
    state = first.state_records()  # what the transaction wrote with the offsets
    assert state and all(p == 0 for _k, _v, p in state)
    second = core()
    for key, value, partition in state:
        second.restore(key, value, partition)
    second.handle(records([view(i) for i in range(5, 7)], start=5), now=2.0)
    [w] = second.processor.windows.values()
    assert w.views == 7


def test_records_fetched_twice_in_one_batch_are_applied_once() -> None:
    """A partition lost and given back within one batch window is fetched again from the
    committed offset: the copies must not count twice."""
    c = core()
    c.handle(records([view(i) for i in range(3)]) + records([view(i) for i in range(3)]),
             now=1.0)
    [w] = c.processor.windows.values()
    assert w.views == 3 and c.skipped == 3


def test_state_that_cannot_be_read_starts_that_key_anew() -> None:
    """E.g. a snapshot written by an older release: logged and counted, not a crash loop."""
    c = core()
    c.restore(b"acme|kb-1|1795521600/p0", b"not a pickle", 0)
    assert c.unreadable == 1 and len(c.processor) == 0
    c.handle(records([view(0)]), now=1.0)
    assert len(c.processor) == 1


def test_state_without_a_partition_is_refused() -> None:
    c = core()
    c.processor.snapshot = lambda: {"k": (-1, b"x")}  # type: ignore[method-assign]
    with pytest.raises(ValueError, match="has no partition"):
        c.state_records()


def test_a_record_the_processor_fails_on_is_skipped_and_counted() -> None:
    c = core()
    c.processor.on_event = lambda *a, **k: 1 / 0  # type: ignore[method-assign]
    assert c.handle(records([view(0), view(1)]), now=1.0) == []
    assert c.errors == 2


def test_invalid_input_is_left_to_the_ingest_stage() -> None:
    c = core()
    assert c.handle(records([b"not json", view(0)]), now=1.0) == []
    assert len(c.processor) == 1


def test_undeclared_output_is_refused_with_the_stage_name() -> None:
    c = core()
    c.outputs = frozenset({"aiops.anomaly"})
    c.handle(records([view(0, minute=0)]), now=1.0)
    with pytest.raises(UndeclaredOutput, match=r"'help-activity' emitted 'aiops\.help-activity'"):
        c.handle(records([view(1, minute=2)], start=1), now=2.0)


def test_revoked_partitions_drop_their_state_and_offsets() -> None:
    c = core()
    c.handle(records([view(0)], partition=0) + records([view(1, session="s-2")], partition=1),
             now=1.0)
    c.drop({1})
    assert {w.partition for w in c.processor.windows.values()} == {0}
    assert {p for _t, p in c.last_offset} == {0}


def test_every_registered_stage_fits_the_protocol_and_its_topics() -> None:
    assert stage_names()[0] == "ingest" and len(set(stage_names())) == len(stage_names())
    for st in STAGES:
        assert stage(st.name) is st
        assert st.inputs and st.outputs and st.description
        if st.state_topic:
            state = topic(st.state_topic)
            assert state.role == "state" and state.cleanup_policy == "compact"
            for etype in st.inputs:  # co-partitioned with its input, from the registration
                assert topic_for_type(etype).partitions == state.partitions
    assert isinstance(HelpActivityProcessor(), Processor)
    with pytest.raises(KeyError, match="known: ingest, deliver, anomaly"):
        stage("nope")
