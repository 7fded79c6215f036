"""Faults, on one output directory in turn: a run killed with SIGKILL in the middle of Transform,
a second run started while the first is going, a run interrupted with Ctrl-C (SIGINT to its
process group, as a terminal sends it) in the middle of Transform, then a run that completes.
Then the machine's faults against a served model: a damaged or foreign metadata store, an output
directory that cannot be written, a full disk."""

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import time

import pytest

from pipeline.runs.records import latest_run, open_store
from tests.helpers import (
    REPO_ROOT,
    pipeline_command,
    read_sample,
    run_pipeline,
    serving_digest,
    trainer_executions,
    write_csv,
)

pytestmark = pytest.mark.e2e

ROWS = 2000
UPSTREAM = ["CsvExampleGen", "StatisticsGen", "ImportSchemaGen", "ExampleValidator"]


def _running_transforms(output) -> set[int]:
    """Ids of the Transform executions ML Metadata records as RUNNING."""
    db = output / "metadata.sqlite"
    if not db.exists():
        return set()
    try:
        store = open_store(db)
        return {
            e.id
            for e in store.get_executions()
            if e.type.endswith(".Transform") and e.last_known_state == 2  # RUNNING
        }
    except Exception:  # noqa: BLE001 - the store may be mid-creation
        return set()


def _start_until_transform(data, output) -> subprocess.Popen:
    """A run in its own process group, returned once a new Transform execution is running."""
    before = _running_transforms(output)
    run = subprocess.Popen(
        pipeline_command(data, output),
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # Python ignores Ctrl-C when started with SIGINT ignored (as background jobs of a
        # non-interactive shell are); a terminal's run has the default, so give it that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 300
    while not _running_transforms(output) - before:
        assert run.poll() is None, "the run ended before Transform started"
        assert time.time() < deadline, "Transform never started"
        time.sleep(0.5)
    return run


@pytest.fixture(scope="module")
def killed(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    header, rows = read_sample()
    data = write_csv(root / "data", header, rows[:ROWS])
    output = root / "out"
    first = _start_until_transform(data, output)

    started = time.time()
    second = subprocess.run(
        pipeline_command(data, output), cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    second_seconds = time.time() - started

    os.killpg(first.pid, signal.SIGKILL)
    first.communicate(timeout=60)

    interrupted = _start_until_transform(data, output)
    os.killpg(interrupted.pid, signal.SIGINT)
    started = time.time()
    _, interrupted_stderr = interrupted.communicate(timeout=60)
    interrupted_seconds = time.time() - started
    serving = output / "serving"
    versions_after_interrupt = sorted(p.name for p in serving.iterdir()) if serving.exists() else []

    third = subprocess.run(
        pipeline_command(data, output), cwd=REPO_ROOT, capture_output=True, text=True, timeout=900
    )
    return {
        "output": output,
        "first": first,
        "second": (second, second_seconds),
        "interrupted": (interrupted, interrupted_stderr, interrupted_seconds),
        "versions_after_interrupt": versions_after_interrupt,
        "third": third,
    }


def test_second_concurrent_run_fails_fast_with_a_clear_message(killed):
    second, seconds = killed["second"]
    assert second.returncode == 3
    assert second.stderr.strip() == (
        f"error: another run (pid {killed['first'].pid}) is using {killed['output']}; wait for "
        "it to finish or choose another --output"
    )
    assert seconds < 30, "it did not wait for TensorFlow or the first run"


def test_ctrl_c_stops_with_one_line_and_exit_130(killed):
    run, stderr, seconds = killed["interrupted"]
    assert run.returncode == 130
    assert stderr.strip() == "interrupted; nothing was pushed", stderr[-2000:]
    assert seconds < 10
    assert killed["versions_after_interrupt"] == []


def test_run_after_kill_and_interrupt_completes_and_reuses_the_upstream_work(killed):
    output, third = killed["output"], killed["third"]
    assert killed["first"].returncode == -signal.SIGKILL
    assert third.returncode == 0, third.stderr[-3000:]  # the interrupted run left no lock
    states = latest_run(output / "metadata.sqlite").states
    assert {n: states[n] for n in UPSTREAM} == dict.fromkeys(UPSTREAM, "CACHED")
    # The gate re-checks: the killed run had already validated statistics, now the drift baseline.
    assert states["DataGate"] == "COMPLETE"
    # Transform is the interrupted run's when that one finished it (test_metadata_stays_consistent).
    assert states["Transform"] in ("COMPLETE", "CACHED") and states["Pusher"] == "COMPLETE"
    assert len([p for p in (output / "serving").iterdir() if p.name.isdigit()]) == 1


def test_metadata_stays_consistent(killed):
    output = killed["output"]
    store = open_store(output / "metadata.sqlite")
    transforms = [e for e in store.get_executions() if e.type.endswith(".Transform")]
    # The killed execution stays RUNNING in its run. The interrupted one too, unless Ctrl-C landed
    # where a library swallowed it: then the run stopped as Transform finished, and the last run
    # reused that complete one instead of running its own.
    states = sorted(e.last_known_state for e in transforms)
    assert states in ([2, 2, 3], [2, 3]), states  # RUNNING, RUNNING or COMPLETE, COMPLETE
    for artifact in store.get_artifacts():
        if artifact.state == artifact.LIVE:
            assert os.path.exists(artifact.uri), artifact.uri
    assert not list((output / "serving").glob(".staging-*"))


STORES = {
    "damaged": (
        lambda path: path.write_bytes(b"\x00garbage" * 500),
        "is not an SQLite database (file is not a database)",
    ),
    "another program's": (
        lambda path: sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit(),
        "is an SQLite database of another program",
    ),
}


@pytest.mark.parametrize("store", list(STORES))
def test_unusable_metadata_store_is_named_before_anything_runs(tmp_path, store):
    make, reason = STORES[store]
    header, rows = read_sample()
    data = write_csv(tmp_path / "data", header, rows[:100])
    (tmp_path / "out").mkdir()
    db = tmp_path / "out" / "metadata.sqlite"
    make(db)
    before = db.read_bytes()
    expected = (
        f"error: metadata store {db} {reason}; move it away to start a new run history there, "
        "or choose another --output"
    )
    run = run_pipeline(data, tmp_path / "out")
    assert (run.returncode, run.stderr.strip()) == (2, expected)
    command = pipeline_command(data, tmp_path / "out")[:3]  # python -m pipeline
    inspect = subprocess.run(
        [*command, "inspect", "--output", str(tmp_path / "out")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert (inspect.returncode, inspect.stderr.strip()) == (2, expected)
    assert db.read_bytes() == before
    # Nothing but the store and inspect's own log.
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["logs", "metadata.sqlite"]


@contextlib.contextmanager
def _mounted(target, *options):
    """`mount` with these options at `target` (root only: the test skips elsewhere)."""
    target.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", *options, str(target)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount here ({proc.stderr.strip()}): needs root")
    try:
        yield target
    finally:
        subprocess.run(["umount", str(target)], check=True)


def test_unwritable_output_directory_is_one_line(served, tmp_path):
    root, output = served
    copy = tmp_path / "copy"
    shutil.copytree(output, copy)
    before = serving_digest(copy)
    ro = tmp_path / "ro"
    with _mounted(ro, "--bind", str(copy)):
        subprocess.run(["mount", "-o", "remount,bind,ro", str(ro)], check=True)
        run = run_pipeline(root / "good", ro)
        assert (run.returncode, run.stderr.strip()) == (
            2,
            f"error: output directory {ro} is not writable",
        )
    assert serving_digest(copy) == before


def test_full_disk_is_one_line_and_serving_stays(served, served_sample, tmp_path):
    _, output = served
    header, rows = served_sample
    used = sum(p.stat().st_size for p in output.rglob("*") if p.is_file())
    size = f"size={used // 1024 + 4096}k"
    with _mounted(tmp_path / "small", "-t", "tmpfs", "-o", size, "tmpfs") as disk:
        copy = disk / "out"
        shutil.copytree(output, copy)
        before, trainers = serving_digest(copy), trainer_executions(copy)
        # Fill what is left but a little, so that the run fails on its way.
        free = shutil.disk_usage(disk).free
        with open(disk / "filler", "wb") as f:
            f.write(b"\0" * max(free - 256 * 1024, 0))
        # The same rows in another order: new input, so ExampleGen runs and writes.
        run = run_pipeline(write_csv(tmp_path / "reversed", header, rows[::-1]), copy)
        assert run.returncode == 1, run.stderr[-2000:]
        assert run.stderr.strip() == (
            f"error: no space left on the device holding {copy}; free some and run again "
            "(cached steps are reused); nothing was pushed"
        ), run.stderr[-2000:]
        assert serving_digest(copy) == before
        assert trainer_executions(copy) == trainers  # the store still reads
        assert not list((copy / "serving").glob(".staging-*"))
