"""A stage with state may read several topics only when they are co-partitioned."""

from __future__ import annotations

import pytest

from pipelines.stages import STAGES, _register, _topic_of
from processors.protocol import Stage
from schemas.topics import topic


def _stage(inputs: tuple[str, ...], state_topic: str) -> Stage:
    return Stage("probe", inputs=inputs, outputs=(), build=lambda s: None,
                 state_topic=state_topic)


def test_topics_of_different_partition_counts_are_refused() -> None:
    # telemetry.alerts has 4 partitions, tickets.events 2
    with pytest.raises(ValueError, match="co-partitioned"):
        _register(_stage(("alert", "ticket.event"), "aiops.clustering-state"))


def test_the_state_topic_must_match_the_inputs() -> None:
    with pytest.raises(ValueError, match="as many partitions"):
        _register(_stage(("ticket.event", "help.interaction"), "aiops.clustering-state"))


def test_every_registered_multi_input_stage_is_co_partitioned() -> None:
    multi = [s for s in STAGES if s.state_topic and len({_topic_of(t) for t in s.inputs}) > 1]
    assert {s.name for s in multi} >= {"help", "correlation"}
    for s in multi:
        counts = {topic(_topic_of(t)).partitions for t in s.inputs}
        assert counts == {topic(s.state_topic).partitions}, s.name
