"""What a local cluster is made of: versions, ports and process counts, as typed profiles.

Versions, measured here (docs/platform.md, "Beam on Flink and Spark"): Beam's shaded job-server
jars are not served by this project's Maven registry, and neither are the 2.59 runner's
dependencies (`beam-runners-java-job-service:2.59.0`), so the job servers are Beam 2.56's
runners with their dependency trees, which the Python SDK 2.59 submits to. Beam 2.56 publishes
its Flink runner for Flink 1.16 there, hence Flink 1.16.3 (from the PyPI sdists of
`apache-flink` and `apache-flink-libraries`); Spark comes from the `pyspark` sdist.
"""

from __future__ import annotations

from dataclasses import dataclass

BEAM_JAVA_VERSION = "2.56.0"
FLINK_VERSION = "1.16.3"
SPARK_VERSION = "3.5.5"

# Java 17 closes JDK internals that Flink 1.16, Spark and Beam's job servers reach into; these
# are the module flags Flink 1.18 ships in its own flink-conf.yaml for Java 17.
JAVA_17_FLAGS: tuple[str, ...] = (
    "-XX:+IgnoreUnrecognizedVMOptions",
    "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
    "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
    "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.net=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=java.base/java.text=ALL-UNNAMED",
    "--add-opens=java.base/java.time=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED",
    "--add-opens=java.base/sun.security.action=ALL-UNNAMED",
    "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED",
)


@dataclass(frozen=True)
class JobServerPorts:
    job: int
    artifact: int
    expansion: int


@dataclass(frozen=True)
class ClusterProfile:
    runner: str  # "flink" or "spark"
    job_server: JobServerPorts
    worker_pool_port: int
    # The cluster's own REST/UI port: Flink's REST API, or the Spark master's web UI (JSON).
    ui_port: int
    # Flink JobManager RPC or Spark master port.
    master_port: int
    workers: int  # TaskManagers or Spark workers
    slots_per_worker: int  # Flink task slots, or cores per Spark worker
    worker_memory_mb: int
    # Beam's --parallelism for jobs on this cluster. On 2 cores each cluster task's fixed cost
    # dominates: Transform's Flink job ran as 513 tasks in 207 s at parallelism 1 and as 1,026
    # tasks in 317 s at 2 (the sample's first 1,200-2,000 rows). A bigger cluster wants more.
    parallelism: int = 1

    @property
    def job_endpoint(self) -> str:
        return f"localhost:{self.job_server.job}"

    @property
    def worker_pool(self) -> str:
        return f"localhost:{self.worker_pool_port}"

    @property
    def ports(self) -> dict[str, int]:
        """Every port the cluster listens on, by what listens."""
        return {
            f"{self.runner} {'REST API' if self.runner == 'flink' else 'master web UI'}": (
                self.ui_port
            ),
            f"{self.runner} {'JobManager RPC' if self.runner == 'flink' else 'master'}": (
                self.master_port
            ),
            "Beam job server": self.job_server.job,
            "Beam artifact service": self.job_server.artifact,
            "Beam expansion service": self.job_server.expansion,
            "Python SDK worker pool": self.worker_pool_port,
        }


FLINK = ClusterProfile(
    runner="flink",
    job_server=JobServerPorts(job=8099, artifact=8098, expansion=8097),
    worker_pool_port=50000,
    ui_port=8081,
    master_port=6123,
    workers=2,
    slots_per_worker=1,
    worker_memory_mb=3072,
)

SPARK = ClusterProfile(
    runner="spark",
    job_server=JobServerPorts(job=8199, artifact=8198, expansion=8197),
    worker_pool_port=50100,
    ui_port=8080,
    master_port=7077,
    workers=1,
    slots_per_worker=2,
    worker_memory_mb=3072,
)

PROFILES = {p.runner: p for p in (FLINK, SPARK)}
