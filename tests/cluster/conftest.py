"""The local clusters and the runs on them, shared by the cluster tests.

Each cluster is started by the tests (`cluster.local.start`, the code behind `make cluster`)
and stopped by its recorded pids when the module's tests are done, so that the rest of the suite
runs without idle JVMs; a cluster a developer already runs is used and left running. The same
slice of the sample runs once on Beam's DirectRunner and once on each cluster, into separate
output directories.
"""

import pytest

from cluster import local
from cluster.jobs import flink_jobs, spark_applications
from cluster.processes import alive
from pipeline.runs.records import latest_run
from tests.helpers import read_sample, run_pipeline, write_csv

ROWS = 1200
STEPS = {"train_steps": 100, "eval_steps": 20}


def _cluster_jobs(runner: str) -> dict[str, str]:
    """{job id: state} the cluster reports."""
    if runner == "flink":
        return {j["jid"]: j["state"] for j in flink_jobs()}
    return {a["id"]: a["state"] for a in spark_applications()}


@pytest.fixture(scope="module")
def slice_data(tmp_path_factory):
    header, rows = read_sample()
    return write_csv(tmp_path_factory.mktemp("cluster") / "data", header, rows[:ROWS])


@pytest.fixture(scope="module")
def direct_run(slice_data, tmp_path_factory):
    output = tmp_path_factory.mktemp("direct") / "out"
    proc = run_pipeline(slice_data, output, **STEPS)
    return proc, output, latest_run(output / "metadata.sqlite")


def _started_cluster(runner: str):
    processes, new = local.start(runner)
    yield processes
    if new:
        local.stop(runner)
        # Stopped by pid: every process the start recorded is gone.
        assert [p.name for p in processes if alive(p)] == []


@pytest.fixture(scope="module")
def flink_cluster():
    yield from _started_cluster("flink")


@pytest.fixture(scope="module")
def spark_cluster():
    yield from _started_cluster("spark")


def _cluster_run(runner: str, slice_data, tmp_path_factory):
    before = _cluster_jobs(runner)
    output = tmp_path_factory.mktemp(runner) / "out"
    proc = run_pipeline(slice_data, output, "--beam-runner", runner, **STEPS)
    jobs = {k: v for k, v in _cluster_jobs(runner).items() if k not in before}
    return proc, output, latest_run(output / "metadata.sqlite"), jobs


@pytest.fixture(scope="module")
def flink_run(flink_cluster, slice_data, tmp_path_factory):
    return _cluster_run("flink", slice_data, tmp_path_factory)


@pytest.fixture(scope="module")
def spark_run(spark_cluster, slice_data, tmp_path_factory):
    return _cluster_run("spark", slice_data, tmp_path_factory)
