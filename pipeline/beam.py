"""Beam profiles: where the Beam-based components (ExampleGen, StatisticsGen, Transform,
Evaluator) run their data processing. Chosen by config; the DAG does not change."""

from __future__ import annotations

import socket
from dataclasses import dataclass

RUNNERS = ("direct", "dataflow", "flink", "spark")
ENVIRONMENT_TYPES = ("DOCKER", "PROCESS", "EXTERNAL", "LOOPBACK")


@dataclass(frozen=True)
class BeamConfig:
    runner: str = "direct"
    # direct: in-memory mode runs TFX's taxi example ~2.8x faster than Beam's multi-processing
    # default on the 15k-row sample, which spends its time starting workers that each import
    # TensorFlow (docs/platform.md). Large inputs may want multi_processing: measure.
    direct_running_mode: str = "in_memory"
    direct_num_workers: int = 1
    # dataflow
    project: str | None = None
    region: str | None = None
    temp_location: str | None = None
    # flink / spark through Beam's portable runner and a running job server
    job_endpoint: str | None = None
    # DOCKER: an SDK harness image per worker (a real cluster); EXTERNAL: a worker pool at
    # `environment_config` (host:port), as the local cluster (`python -m cluster`) runs.
    environment_type: str = "DOCKER"
    environment_config: str | None = None
    parallelism: int | None = None  # None: the cluster's default
    # Remote workers build and install this package from it (Beam's --setup_file).
    setup_file: str | None = None

    def errors(self) -> list[str]:
        if self.runner not in RUNNERS:
            return [f"beam runner {self.runner!r} is not one of {', '.join(RUNNERS)}"]
        errs = []
        if self.runner == "direct":
            if self.direct_running_mode not in ("in_memory", "multi_threading", "multi_processing"):
                errs.append(f"direct running mode {self.direct_running_mode!r} is unknown")
            if self.direct_num_workers < 1:
                errs.append("beam workers (direct_num_workers) must be >= 1")
        elif self.runner == "dataflow":
            for name in ("project", "region", "temp_location"):
                if not getattr(self, name):
                    errs.append(f"the dataflow runner needs --{name.replace('_', '-')}")
        else:
            if not self.job_endpoint:
                errs.append(f"the {self.runner} runner needs --job-endpoint HOST:PORT")
            if self.environment_type not in ENVIRONMENT_TYPES:
                errs.append(
                    f"environment type {self.environment_type!r} is not one of "
                    f"{', '.join(ENVIRONMENT_TYPES)}"
                )
            if self.environment_type == "EXTERNAL" and not self.environment_config:
                errs.append("an EXTERNAL environment needs --environment-config HOST:PORT")
            if self.parallelism is not None and self.parallelism < 1:
                errs.append(f"parallelism must be >= 1, got {self.parallelism}")
        return errs

    def unreachable(self) -> list[str]:
        """The services a portable runner needs that do not answer (job server, worker pool):
        checked before any component runs, so a stopped cluster is one line, not a stack."""
        if self.runner not in ("flink", "spark"):
            return []
        needed = [("job server", self.job_endpoint)]
        if self.environment_type == "EXTERNAL":
            needed.append(("Python worker pool", self.environment_config))
        errs = []
        for what, address in needed:
            host, _, port = (address or "").rpartition(":")
            try:
                socket.create_connection((host or "localhost", int(port)), timeout=2).close()
            except (OSError, ValueError):
                errs.append(
                    f"the {self.runner} {what} at {address} does not answer; start the local "
                    f"cluster with `make cluster` (python -m cluster start --runner "
                    f"{self.runner}) or point --job-endpoint/--environment-config at yours"
                )
        return errs

    def args(self) -> list[str]:
        if self.runner == "direct":
            args = [
                f"--direct_running_mode={self.direct_running_mode}",
                f"--direct_num_workers={self.direct_num_workers}",
            ]
        elif self.runner == "dataflow":
            args = [
                "--runner=DataflowRunner",
                f"--project={self.project}",
                f"--region={self.region}",
                f"--temp_location={self.temp_location}",
            ]
        else:
            args = [
                "--runner=PortableRunner",
                f"--job_endpoint={self.job_endpoint}",
                f"--environment_type={self.environment_type}",
            ]
            if self.environment_config:
                args.append(f"--environment_config={self.environment_config}")
            if self.parallelism:
                args.append(f"--parallelism={self.parallelism}")
            # Keeps each SDK worker for the whole job. Without it Spark's runner starts a fresh
            # Python worker (which imports TensorFlow, ~10 s) for every task.
            args.append("--environment_cache_millis=600000")
            # Not `--experiments=pre_optimize=all`, which TFX's penguin example sets for portable
            # runners: on the local Flink cluster it did not make Transform's job clearly
            # cheaper (946 tasks in 261 s, against 1,026 in 317 s without it, at parallelism 2;
            # docs/benchmarks.md), and the default SDK-side fusion is what Beam tests most.
        if self.setup_file:
            args.append(f"--setup_file={self.setup_file}")
        return args
