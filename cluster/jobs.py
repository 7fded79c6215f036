"""What a Flink or Spark cluster says about the Beam jobs it ran, read from its REST API."""

from __future__ import annotations

import re

from cluster import processes
from cluster.profiles import PROFILES

# Beam names a portable job `BeamApp-<user>-<MMddHHmmss>-<hash>_<uuid>`; Flink shows the part
# before the underscore as the job's name.
_BEAM_JOB = re.compile(r"Pipeline (BeamApp-[\w-]+?)_[0-9a-f-]+ failed in state (\w+)")
# The last Python exception the SDK harness reported, e.g. "ValueError: Columns do not match".
_PYTHON_ERROR = re.compile(r"^(\w+(?:Error|Exception): .+)$", re.M)


def flink_jobs(rest_port: int = PROFILES["flink"].ui_port) -> list[dict]:
    """Flink's job overview: id (jid), name, state, duration (ms), tasks; newest first."""
    overview = processes.http_json(f"http://localhost:{rest_port}/jobs/overview") or {}
    return sorted(overview.get("jobs", []), key=lambda j: j.get("start-time", 0), reverse=True)


def spark_applications(ui_port: int = PROFILES["spark"].ui_port) -> list[dict]:
    """The Spark master's applications, running and completed: id, name, state."""
    master = processes.http_json(f"http://localhost:{ui_port}/json/") or {}
    return master.get("activeapps", []) + master.get("completedapps", [])


def failed_beam_job(message: str, runner: str, cause: str | None = None) -> str | None:
    """One phrase for a failed portable Beam job: the cluster's own job id and the Python error
    the workers reported (or `cause`, when the caller read it better), from the runner's error
    text; None if it is not such a failure."""
    found = _BEAM_JOB.search(message)
    if found is None:
        return None
    name, state = found.groups()
    errors = _PYTHON_ERROR.findall(message)
    if cause is None:
        cause = errors[-1] if errors else message[found.end() :].strip(": ").splitlines()[0]
        if len(cause) > 160:
            cause = cause[:157] + "..."
    job = name
    if runner == "flink":
        job = next((j["jid"] for j in flink_jobs() if j.get("name") == name), name)
    return f"{runner} job {job} {state}: {cause}"
