"""Starts and stops the local Flink or Spark cluster: the cluster's own processes, Beam's job
server pointing at it, and a Python SDK worker pool from this project's environment (Beam's
EXTERNAL environment: the cluster's workers hand Python work to it, no Docker needed)."""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from cluster import fetch, processes
from cluster.processes import Recorded
from cluster.profiles import JAVA_17_FLAGS, PROFILES, ClusterProfile
from pipeline.config import checkout_path
from pipeline.errors import ConfigError


def home() -> Path:
    """Where the cluster's downloads, configuration, logs and pid records live."""
    configured = os.environ.get("TFX_CLUSTER_HOME")
    if configured:
        return Path(configured).absolute()
    return checkout_path(".cluster") or Path.cwd() / ".cluster"


@dataclass(frozen=True)
class Layout:
    root: Path
    runner: str

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def state(self) -> Path:
        return self.root / "run" / f"{self.runner}.json"

    @property
    def fetch_log(self) -> Path:
        return self.logs / f"{self.runner}-fetch.log"


def running(profile: ClusterProfile, root: Path | None = None) -> list[Recorded]:
    """The recorded processes of this cluster that are still alive."""
    recorded, _ = processes.load(Layout(root or home(), profile.runner).state)
    return [p for p in recorded if processes.alive(p)]


def _java_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    java = Path(fetch.require("java")).resolve()
    env = {**os.environ, "JAVA_HOME": str(java.parents[1]), **(extra or {})}
    return env


def _flink_conf(profile: ClusterProfile, flink: Path, conf: Path) -> None:
    conf.mkdir(parents=True, exist_ok=True)
    for name in ("log4j-console.properties", "log4j.properties", "logback-console.xml"):
        if (flink / "conf" / name).is_file():
            (conf / name).write_bytes((flink / "conf" / name).read_bytes())
    settings = {
        "jobmanager.rpc.address": "localhost",
        "jobmanager.rpc.port": profile.master_port,
        "jobmanager.bind-host": "localhost",
        "jobmanager.memory.process.size": "1024m",
        "taskmanager.bind-host": "localhost",
        "taskmanager.host": "localhost",
        "taskmanager.numberOfTaskSlots": profile.slots_per_worker,
        "taskmanager.memory.process.size": f"{profile.worker_memory_mb}m",
        # Beam's batch jobs shuffle between many operators at once; Flink's defaults leave too
        # few network buffers ("Insufficient number of network buffers: required 512").
        "taskmanager.memory.network.fraction": 0.2,
        "taskmanager.memory.network.min": "256mb",
        "taskmanager.memory.network.max": "1gb",
        "taskmanager.network.sort-shuffle.min-buffers": 64,
        # Beam's Fn API data channel (gRPC, Netty) buffers a bundle's elements in direct memory:
        # at 1M rows the default (none for tasks) fails CsvExampleGen with "OutOfMemoryError:
        # Direct buffer memory". Managed memory (sorting) and network buffers give up the room.
        "taskmanager.memory.task.off-heap.size": "512m",
        "taskmanager.memory.managed.fraction": 0.2,
        # An OutOfMemoryError in a gRPC thread of Beam's data channel is only logged by default,
        # and the job then waits forever (seen at 3M rows). Failing the TaskManager process fails
        # the job, which the run reports.
        "cluster.uncaught-exception-handling": "FAIL",
        "parallelism.default": profile.parallelism,
        "rest.address": "localhost",
        "rest.bind-address": "localhost",
        "rest.port": profile.ui_port,
        "env.java.opts": " ".join(JAVA_17_FLAGS),
    }
    (conf / "flink-conf.yaml").write_text("".join(f"{k}: {v}\n" for k, v in settings.items()))


def _flink_ready(profile: ClusterProfile) -> bool:
    overview = processes.http_json(f"http://localhost:{profile.ui_port}/overview")
    return bool(overview) and overview.get("taskmanagers") == profile.workers


def _spark_ready(profile: ClusterProfile) -> bool:
    master = processes.http_json(f"http://localhost:{profile.ui_port}/json/")
    return bool(master) and len(master.get("workers", [])) == profile.workers


def _start_flink(profile: ClusterProfile, layout: Layout, started: list[Recorded]) -> None:
    flink = fetch.flink_home(layout.root, layout.fetch_log)
    jars = fetch.job_server_jars("flink", layout.root, layout.fetch_log)
    conf = layout.root / "flink-conf"
    _flink_conf(profile, flink, conf)
    env = _java_env(
        {"FLINK_HOME": str(flink), "FLINK_CONF_DIR": str(conf), "FLINK_LOG_DIR": str(layout.logs)}
    )
    started.append(
        processes.start(
            "flink-jobmanager",
            [str(flink / "bin" / "jobmanager.sh"), "start-foreground"],
            layout.logs / "flink-jobmanager.out",
            env,
        )
    )
    for i in range(profile.workers):
        started.append(
            processes.start(
                f"flink-taskmanager-{i + 1}",
                [str(flink / "bin" / "taskmanager.sh"), "start-foreground"],
                layout.logs / f"flink-taskmanager-{i + 1}.out",
                env,
            )
        )
    # Every process watched at once: a TaskManager that dies at start (a memory setting Flink
    # rejects) fails the start at once, not after the JobManager's timeout.
    processes.wait_until(lambda: _flink_ready(profile), started, "Flink", timeout=180)
    started.append(
        _job_server(
            profile,
            layout,
            jars,
            "org.apache.beam.runners.flink.FlinkJobServerDriver",
            [f"--flink-master=localhost:{profile.ui_port}"],
            env,
        )
    )


def _start_spark(profile: ClusterProfile, layout: Layout, started: list[Recorded]) -> None:
    spark = fetch.spark_home(layout.root, layout.fetch_log)
    jars = fetch.job_server_jars("spark", layout.root, layout.fetch_log)
    opts = " ".join(JAVA_17_FLAGS)
    env = _java_env(
        {
            "SPARK_HOME": str(spark),
            "SPARK_LOG_DIR": str(layout.logs),
            "SPARK_DAEMON_JAVA_OPTS": opts,
            "SPARK_LOCAL_IP": "127.0.0.1",
            "SPARK_WORKER_DIR": str(layout.root / "spark-work"),
            # Each application's executor copies the job server's jars (~400 MB) into the work
            # directory; finished applications' copies are removed after five minutes.
            "SPARK_WORKER_OPTS": "-Dspark.worker.cleanup.enabled=true "
            "-Dspark.worker.cleanup.interval=300 -Dspark.worker.cleanup.appDataTtl=300",
        }
    )
    spark_class = str(spark / "bin" / "spark-class")
    master = processes.start(
        "spark-master",
        [spark_class, "org.apache.spark.deploy.master.Master"]
        + ["--host", "localhost", "--port", str(profile.master_port)]
        + ["--webui-port", str(profile.ui_port)],
        layout.logs / "spark-master.out",
        env,
    )
    started.append(master)
    processes.wait_until(
        lambda: processes.port_open(profile.master_port), master, "the Spark master"
    )
    for i in range(profile.workers):
        started.append(
            processes.start(
                f"spark-worker-{i + 1}",
                [spark_class, "org.apache.spark.deploy.worker.Worker"]
                + [f"spark://localhost:{profile.master_port}", "--host", "localhost"]
                + ["--cores", str(profile.slots_per_worker)]
                + ["--memory", f"{profile.worker_memory_mb}m"]
                + ["--webui-port", str(profile.ui_port + 1 + i)],
                layout.logs / f"spark-worker-{i + 1}.out",
                env,
            )
        )
    processes.wait_until(lambda: _spark_ready(profile), started, "Spark")
    started.append(
        _job_server(
            profile,
            layout,
            # Spark's own jars first: Beam's tree brings an older Jackson than Spark 3.5 needs
            # ("Scala module 2.15.2 requires Jackson Databind version >= 2.15.0").
            [spark / "jars", jars],
            "org.apache.beam.runners.spark.SparkJobServerDriver",
            [f"--spark-master-url=spark://localhost:{profile.master_port}"],
            env,
        )
    )


def _job_server(profile, layout, jars, main_class: str, args: list[str], env) -> Recorded:
    directories = jars if isinstance(jars, list) else [jars]
    classpath = ":".join(f"{d}/*" for d in directories)
    ports = profile.job_server
    server = processes.start(
        f"beam-{profile.runner}-job-server",
        ["java", *JAVA_17_FLAGS, "-cp", classpath, main_class, *args]
        + [f"--job-port={ports.job}", f"--artifact-port={ports.artifact}"]
        + [f"--expansion-port={ports.expansion}"],
        layout.logs / f"beam-{profile.runner}-job-server.out",
        env,
    )
    processes.wait_until(
        lambda: processes.port_open(ports.job), server, f"Beam's {profile.runner} job server"
    )
    return server


def _worker_pool(profile: ClusterProfile, layout: Layout) -> Recorded:
    pool = processes.start(
        f"{profile.runner}-python-worker-pool",
        [sys.executable, "-m", "cluster.worker_pool", f"--port={profile.worker_pool_port}"],
        layout.logs / f"{profile.runner}-python-worker-pool.out",
        os.environ,
    )
    processes.wait_until(
        lambda: processes.port_open(profile.worker_pool_port), pool, "the Python worker pool"
    )
    return pool


def start(
    runner: str, root: Path | None = None, worker_memory_mb: int | None = None
) -> tuple[list[Recorded], bool]:
    """Starts the cluster unless it already runs; returns its processes and whether this call
    started them. Any failure stops what was started and is a one-line error.
    `worker_memory_mb` overrides the profile's memory per TaskManager or Spark worker."""
    profile = PROFILES[runner]
    if worker_memory_mb is not None:
        if worker_memory_mb < 1024:
            raise ConfigError(f"worker memory {worker_memory_mb} MB is below 1024 MB")
        profile = dataclasses.replace(profile, worker_memory_mb=worker_memory_mb)
    layout = Layout(root or home(), runner)
    alive = running(profile, layout.root)
    recorded, _ = processes.load(layout.state)
    if alive and len(alive) == len(recorded):
        return alive, False
    for process in alive:  # a half-running cluster from a crash: start afresh
        processes.stop(process)
    fetch.require("java")
    busy = {what: port for what, port in profile.ports.items() if processes.port_open(port)}
    if busy:
        what, port = next(iter(busy.items()))
        raise ConfigError(f"port {port} ({what}) is in use; stop what holds it and try again")
    started: list[Recorded] = []
    try:
        (_start_flink if runner == "flink" else _start_spark)(profile, layout, started)
        started.append(_worker_pool(profile, layout))
    except BaseException:
        for process in reversed(started):
            processes.stop(process)
        raise
    processes.save(layout.state, started, {"runner": runner, "started": time.time()})
    return started, True


def stop(runner: str, root: Path | None = None) -> list[Recorded]:
    """Stops exactly the recorded processes of the cluster; returns those that were running."""
    layout = Layout(root or home(), runner)
    recorded, _ = processes.load(layout.state)
    stopped = [p for p in reversed(recorded) if processes.stop(p)]
    layout.state.unlink(missing_ok=True)
    return stopped
