"""How many replicas a topic gets on a cluster of a given size (no broker needed)."""

from __future__ import annotations

import pytest

from rujukan_platform.kafka import replication_for


@pytest.mark.parametrize(
    ("brokers", "factor", "min_isr"),
    [(1, 1, "1"), (2, 2, "1"), (3, 3, "2"), (5, 3, "2")],
)
def test_three_replicas_two_in_sync_where_the_cluster_allows(
    brokers: int, factor: int, min_isr: str
) -> None:
    assert replication_for(brokers) == (factor, {"min.insync.replicas": min_isr})
