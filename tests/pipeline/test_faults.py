"""Faults: a run killed with SIGKILL in the middle of Transform, and a second run started on the
same output while the first is going."""

import os
import signal
import subprocess
import time

import pytest

from pipeline.runs.records import latest_run, open_store
from tests.helpers import REPO_ROOT, pipeline_command, read_sample, write_csv

pytestmark = pytest.mark.e2e

ROWS = 2000
UPSTREAM = ["CsvExampleGen", "StatisticsGen", "ImportSchemaGen", "ExampleValidator"]


def _transform_running(output) -> bool:
    db = output / "metadata.sqlite"
    if not db.exists():
        return False
    try:
        store = open_store(db)
        return any(
            e.type.endswith(".Transform") and e.last_known_state == 2  # RUNNING
            for e in store.get_executions()
        )
    except Exception:  # noqa: BLE001 - the store may be mid-creation
        return False


@pytest.fixture(scope="module")
def killed(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    header, rows = read_sample()
    data = write_csv(root / "data", header, rows[:ROWS])
    output = root / "out"
    first = subprocess.Popen(
        pipeline_command(data, output),
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 300
    while not _transform_running(output):
        assert first.poll() is None, "the first run ended before Transform started"
        assert time.time() < deadline, "Transform never started"
        time.sleep(0.5)

    started = time.time()
    second = subprocess.run(
        pipeline_command(data, output), cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    second_seconds = time.time() - started

    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=60)
    third = subprocess.run(
        pipeline_command(data, output), cwd=REPO_ROOT, capture_output=True, text=True, timeout=900
    )
    return output, first, second, second_seconds, third


def test_second_concurrent_run_fails_fast_with_a_clear_message(killed):
    _, first, second, seconds, _ = killed
    assert second.returncode == 3
    assert second.stderr.strip() == (
        f"error: another run (pid {first.pid}) is using {killed[0]}; wait for it to finish or "
        "choose another --output"
    )
    assert seconds < 30, "it did not wait for TensorFlow or the first run"


def test_run_after_kill_completes_and_reuses_the_upstream_work(killed):
    output, first, _, _, third = killed
    assert first.returncode == -signal.SIGKILL
    assert third.returncode == 0, third.stderr[-3000:]
    states = latest_run(output / "metadata.sqlite").states
    assert {n: states[n] for n in UPSTREAM} == dict.fromkeys(UPSTREAM, "CACHED")
    # The gate re-checks: the killed run had already validated statistics, now the drift baseline.
    assert states["DataGate"] == "COMPLETE"
    assert states["Transform"] == "COMPLETE" and states["Pusher"] == "COMPLETE"
    assert len([p for p in (output / "serving").iterdir() if p.name.isdigit()]) == 1


def test_metadata_stays_consistent(killed):
    output, *_ = killed
    store = open_store(output / "metadata.sqlite")
    transforms = [e for e in store.get_executions() if e.type.endswith(".Transform")]
    # The killed execution stays RUNNING in its own run; the new run has its own, complete one.
    states = sorted(e.last_known_state for e in transforms)
    assert states == [2, 3], states  # RUNNING (killed), COMPLETE
    for artifact in store.get_artifacts():
        if artifact.state == artifact.LIVE:
            assert os.path.exists(artifact.uri), artifact.uri
    assert not list((output / "serving").glob(".staging-*"))
