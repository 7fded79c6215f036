"""The local cluster's control code without a cluster: processes recorded and stopped by pid,
one-line errors for what is missing or busy, and Beam's flags defaulting to the local cluster."""

import socket
import subprocess
import sys

import pytest

from cluster import local, processes
from cluster.profiles import FLINK, PROFILES, JobServerPorts
from pipeline.cli import _parser
from pipeline.errors import ConfigError
from pipeline.options import beam_config
from tests.helpers import REPO_ROOT


def test_a_recorded_process_is_stopped_by_its_pid_with_what_it_spawned(tmp_path):
    # A shell that spawns a child: stopping the recorded pid ends its whole session.
    script = "sleep 300 & echo $! > child.pid; wait"
    recorded = processes.start("test", ["bash", "-c", script], tmp_path / "t.log", {}, tmp_path)
    processes.wait_until(lambda: (tmp_path / "child.pid").is_file(), recorded, "the test shell")
    child_pid = int((tmp_path / "child.pid").read_text())
    assert processes.alive(recorded)
    assert processes.stop(recorded) is True
    assert not processes.alive(recorded)
    assert processes._start_ticks(child_pid) is None
    assert processes.stop(recorded) is False  # already gone: nothing else is touched


def test_a_recycled_pid_is_not_taken_for_the_recorded_process():
    mine = processes.Recorded("me", pid=1, start_ticks=-5, log="")
    assert not processes.alive(mine)
    assert processes.stop(mine) is False


def test_state_round_trips(tmp_path):
    recorded = [processes.Recorded("a", 12, 34, "/x.log")]
    processes.save(tmp_path / "run" / "flink.json", recorded, {"runner": "flink"})
    assert processes.load(tmp_path / "run" / "flink.json") == (recorded, {"runner": "flink"})
    assert processes.load(tmp_path / "missing.json") == ([], {})


def test_a_port_in_use_is_a_one_line_error_naming_it(tmp_path, monkeypatch):
    with socket.socket() as busy:
        busy.bind(("localhost", 0))
        busy.listen()
        port = busy.getsockname()[1]
        profile = FLINK.__class__(
            **{**FLINK.__dict__, "job_server": JobServerPorts(port, 1, 2), "ui_port": 3}
        )
        monkeypatch.setitem(PROFILES, "flink", profile)
        monkeypatch.setattr(processes, "port_open", lambda p, host="localhost": p == port)
        with pytest.raises(ConfigError, match=rf"^port {port} \(Beam job server\) is in use"):
            local.start("flink", root=tmp_path)
    assert not (tmp_path / "run" / "flink.json").exists()


def test_missing_java_is_a_one_line_error(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "cluster", "start"],
        cwd=REPO_ROOT,
        env={"PATH": "/nonexistent", "TFX_CLUSTER_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: `java` is not on PATH; the local cluster needs it (Java 17, Maven)"
    ]


def test_stop_without_a_cluster_says_so(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "cluster", "stop", "--runner", "spark"],
        cwd=REPO_ROOT,
        env={"TFX_CLUSTER_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    assert proc.stdout.strip() == "no spark cluster was running"


@pytest.mark.parametrize("runner", ["flink", "spark"])
def test_run_on_a_cluster_defaults_to_the_local_one(runner):
    args = _parser().parse_args(["run", "--beam-runner", runner])
    beam = beam_config(args, local_cluster=True)
    profile = PROFILES[runner]
    assert beam.args() == [
        "--runner=PortableRunner",
        f"--job_endpoint=localhost:{profile.job_server.job}",
        "--environment_type=EXTERNAL",
        f"--environment_config=localhost:{profile.worker_pool_port}",
        f"--parallelism={profile.parallelism}",
        "--environment_cache_millis=600000",
    ]


def test_compile_keeps_docker_workers_and_needs_an_endpoint():
    from kubeflow.cli import _parser as kubeflow_parser

    args = kubeflow_parser().parse_args(["compile", "--output", "x.json", "--beam-runner", "flink"])
    beam = beam_config(args)
    assert beam.environment_type == "DOCKER"
    assert any("needs --job-endpoint" in e for e in beam.errors())


def test_an_unreachable_job_endpoint_stops_the_run_before_anything_runs(tmp_path):
    with socket.socket() as s:
        s.bind(("localhost", 0))
        free = s.getsockname()[1]  # closed again: nothing listens there
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--output", str(tmp_path / "out")]
        + ["--beam-runner", "flink", "--job-endpoint", f"localhost:{free}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"error: the flink job server at localhost:{free} does not answer")
    assert "make cluster" in line
    assert not (tmp_path / "out").exists()


def test_flink_configuration_fails_jobs_instead_of_hanging_them(tmp_path):
    """What the 1M and 3M runs taught: room in direct memory for Beam's data channel, and an
    OutOfMemoryError in one of its threads must end the TaskManager (so the job fails and the
    run says so) rather than be logged while the job waits forever."""
    (tmp_path / "flink" / "conf").mkdir(parents=True)
    local._flink_conf(FLINK, tmp_path / "flink", tmp_path / "conf")
    lines = (tmp_path / "conf" / "flink-conf.yaml").read_text().splitlines()
    settings = dict(line.split(": ", 1) for line in lines)
    assert settings["cluster.uncaught-exception-handling"] == "FAIL"
    assert settings["taskmanager.memory.task.off-heap.size"] == "512m"
    assert settings["rest.port"] == str(FLINK.ui_port)


def test_worker_memory_below_a_gigabyte_is_refused_before_anything_starts(tmp_path):
    with pytest.raises(ConfigError, match="worker memory 512 MB is below 1024 MB"):
        local.start("flink", tmp_path, worker_memory_mb=512)
    assert not (tmp_path / "run").exists()
