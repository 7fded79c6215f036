"""Fetches, once, what a local cluster runs: a Flink or Spark distribution from its PyPI source
distribution, and Beam's job server as a Maven dependency tree. Everything lands under the
cluster home (git-ignored `.cluster/`); a directory counts only once its `.complete` stamp is
written, so an interrupted fetch is redone, never half-used."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from cluster.profiles import BEAM_JAVA_VERSION, FLINK_VERSION, SPARK_VERSION
from pipeline.errors import ConfigError

STAMP = ".complete"
_JOB_SERVER_ARTIFACT = {
    "flink": "beam-runners-flink-1.16",
    "spark": "beam-runners-spark-3",
}


def require(tool: str) -> str:
    """The path of `tool`, or a one-line error naming it."""
    path = shutil.which(tool)
    if path is None:
        raise ConfigError(f"`{tool}` is not on PATH; the local cluster needs it (Java 17, Maven)")
    return path


def _pip() -> list[str]:
    # uv-made environments have no pip; the machine's python3 has one (`make install` uses it).
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    return [require("python3"), "-m", "pip"]


def _run(command: list[str], what: str, log: Path) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        raise ConfigError(f"could not fetch {what} (exit {proc.returncode}); see {log}")


def _done(directory: Path) -> bool:
    return (directory / STAMP).is_file()


def _sdist_members(package: str, version: str, downloads: Path, log: Path) -> Path:
    """Downloads and unpacks `package==version`'s source distribution; returns its root."""
    unpacked = downloads / f"{package}-{version}"
    if _done(unpacked):
        return unpacked
    shutil.rmtree(unpacked, ignore_errors=True)
    downloads.mkdir(parents=True, exist_ok=True)
    _run(
        [*_pip(), "download", "--quiet", "--no-deps", "--no-binary", ":all:", "-d", str(downloads)]
        + [f"{package}=={version}"],
        f"{package} {version} from PyPI",
        log,
    )
    archive = next(downloads.glob(f"{package.replace('-', '_')}-{version}.tar.gz"), None) or next(
        downloads.glob(f"{package}-{version}.tar.gz")
    )
    with tempfile.TemporaryDirectory(dir=downloads) as tmp, tarfile.open(archive) as tar:
        tar.extractall(tmp, filter="data")
        (root,) = Path(tmp).iterdir()
        root.rename(unpacked)
    archive.unlink()
    (unpacked / STAMP).touch()
    return unpacked


def flink_home(home: Path, log: Path) -> Path:
    """A Flink distribution (bin, conf, lib, opt, plugins) assembled from the two sdists that
    carry it: `apache-flink` (scripts, configuration) and `apache-flink-libraries` (jars)."""
    target = home / f"flink-{FLINK_VERSION}"
    if _done(target):
        return target
    shutil.rmtree(target, ignore_errors=True)
    scripts = _sdist_members("apache-flink", FLINK_VERSION, home / "downloads", log) / "deps"
    jars = _sdist_members("apache-flink-libraries", FLINK_VERSION, home / "downloads", log) / "deps"
    target.mkdir(parents=True)
    for name in ("bin", "conf"):
        shutil.copytree(scripts / name, target / name)
    for name in ("lib", "opt", "plugins"):
        shutil.copytree(jars / name, target / name)
    # The scripts' Java helper ships with the libraries.
    shutil.copy(jars / "bin" / "bash-java-utils.jar", target / "bin")
    (target / STAMP).touch()
    for unpacked in (scripts.parent, jars.parent):
        shutil.rmtree(unpacked)
    return target


def spark_home(home: Path, log: Path) -> Path:
    """Spark's distribution as the pyspark sdist carries it (bin/spark-class, jars/)."""
    target = home / f"spark-{SPARK_VERSION}"
    if _done(target):
        return target
    shutil.rmtree(target, ignore_errors=True)
    source = _sdist_members("pyspark", SPARK_VERSION, home / "downloads", log)
    shutil.copytree(source / "deps", target)
    for script in (target / "bin").iterdir():
        script.chmod(0o755)
    (target / STAMP).touch()
    shutil.rmtree(source)
    return target


_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.cluster</groupId><artifactId>{artifact}-job-server</artifactId><version>1</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.beam</groupId><artifactId>{artifact}</artifactId><version>{version}</version>
    </dependency>
  </dependencies>
</project>
"""


def job_server_jars(runner: str, home: Path, log: Path) -> Path:
    """Beam's job server for `runner`: its runner artifact and every dependency Maven resolves
    for it, in one directory to put on the JVM's classpath."""
    artifact = _JOB_SERVER_ARTIFACT[runner]
    target = home / f"beam-{runner}-job-server-{BEAM_JAVA_VERSION}"
    if _done(target):
        return target / "jars"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    (target / "pom.xml").write_text(_POM.format(artifact=artifact, version=BEAM_JAVA_VERSION))
    _run(
        [require("mvn"), "-B", "-q", "-f", str(target / "pom.xml")]
        + ["dependency:copy-dependencies", f"-DoutputDirectory={target / 'jars'}"],
        f"org.apache.beam:{artifact}:{BEAM_JAVA_VERSION} and its dependencies with Maven",
        log,
    )
    (target / STAMP).touch()
    return target / "jars"
