"""A two-node Ray cluster on this machine, started once for every test in this folder.

Each node is a real raylet with one CPU and its own object store; no dashboard, no usage
stats, no auth token (loopback only), and a short temp dir (Ray's socket paths must stay
under 107 bytes). Skipped only when the ``ray`` extra is not installed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engine.conftest import file_server_thread, media  # noqa: F401  (shared fixtures)

# Ray is imported inside the fixtures: each test module skips itself when the extra is absent.

RAY_ENV = {
    "RAY_AUTH_MODE": "disabled",
    "RAY_USAGE_STATS_ENABLED": "0",
    # Other test processes share this machine's memory: never let Ray's monitor kill ours.
    "RAY_memory_monitor_refresh_ms": "0",
    # A removed node is declared dead after 5 missed 1 s health checks (default 5 x 3 s).
    "RAY_health_check_period_ms": "1000",
}
NODE = {"num_cpus": 1, "object_store_memory": 128 << 20}


class TwoNodes:
    """The cluster, its head node and its (replaceable) worker node."""

    def __init__(self, cluster: Any) -> None:
        self.cluster = cluster
        self.head = cluster.head_node
        self.worker: Any = None

    @property
    def address(self) -> str:
        return str(self.cluster.address)

    def add_worker(self) -> None:
        self.worker = self.cluster.add_node(**NODE)
        self.cluster.wait_for_nodes()

    def remove_worker(self) -> None:
        self.cluster.remove_node(self.worker, allow_graceful=False)
        self.worker = None

    def node_ids(self) -> set[str]:
        import ray

        return {n["NodeID"] for n in ray.nodes() if n["Alive"]}


@pytest.fixture(scope="package")
def cluster() -> Iterator[TwoNodes]:
    import ray
    from ray.cluster_utils import Cluster

    from twelvelabs_embed.local.executors.ray import NAMESPACE

    saved = {k: os.environ.get(k) for k in RAY_ENV}
    os.environ.update(RAY_ENV)
    os.makedirs("/tmp/ray", exist_ok=True)  # cluster_utils writes ray_current_cluster there
    temp = tempfile.mkdtemp(prefix="rt", dir="/tmp")
    c = Cluster(
        initialize_head=True,
        head_node_args={**NODE, "include_dashboard": False, "temp_dir": temp},
    )
    nodes = TwoNodes(c)
    try:
        nodes.add_worker()
        ray.init(address=c.address, namespace=NAMESPACE, log_to_driver=False)
        yield nodes
    finally:
        ray.shutdown()
        c.shutdown()
        shutil.rmtree(temp, ignore_errors=True)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A temp dir every node can read (they all run on this machine)."""
    d = Path(tempfile.mkdtemp(prefix="rtt", dir="/tmp"))
    yield d
    shutil.rmtree(d, ignore_errors=True)
