"""The processes a local cluster is made of: started in their own session, recorded by pid (with
their start time, so a recycled pid is never mistaken for ours) and stopped by exactly those
pids, never by name."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline.errors import ConfigError


@dataclass(frozen=True)
class Recorded:
    name: str
    pid: int
    start_ticks: int  # field 22 of /proc/<pid>/stat: when the process started
    log: str


def _start_ticks(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; the fields after its ")" are plain.
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":  # exited; reap it if it is our child
        _reap(pid)
        return None
    return int(fields[19])


def alive(process: Recorded) -> bool:
    return _start_ticks(process.pid) == process.start_ticks


def port_open(port: int, host: str = "localhost") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def http_json(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return json.load(response)
    except (OSError, ValueError):
        return None


def start(
    name: str, command: list[str], log: Path, env: Mapping[str, str], cwd: Path | None = None
) -> Recorded:
    """Starts `command` in a session of its own (so stopping it also ends what it spawned),
    appending its output to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env),
            cwd=cwd,
            start_new_session=True,
        )
    ticks = _start_ticks(proc.pid)
    return Recorded(name, proc.pid, ticks if ticks is not None else -1, str(log))


def wait_until(
    ready: Callable[[], bool],
    process: Recorded | Sequence[Recorded],
    what: str,
    timeout: float = 180.0,
) -> None:
    """Waits for `ready()`; any of the processes exiting first, or a timeout, is a one-line
    error naming the process and its log."""
    watched = [process] if isinstance(process, Recorded) else list(process)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        for p in watched:
            if not alive(p):
                raise ConfigError(f"{what} ({p.name}) exited while starting; see {p.log}")
        time.sleep(0.5)
    logs = ", ".join(str(p.log) for p in watched)
    raise ConfigError(f"{what} did not become ready in {timeout:.0f} s; see {logs}")


def stop(process: Recorded, grace: float = 15.0) -> bool:
    """Ends the process group the recorded process leads: SIGTERM, then SIGKILL after `grace`
    seconds. Returns whether it was still running."""
    if not alive(process):
        return False
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and alive(process):
        time.sleep(0.2)
    if alive(process):
        os.killpg(process.pid, signal.SIGKILL)
        while alive(process):
            time.sleep(0.1)
    _reap(process.pid)
    return True


def _reap(pid: int) -> None:
    # A process this one started is a zombie until waited for.
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def save(path: Path, processes: list[Recorded], extra: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({**extra, "processes": [asdict(p) for p in processes]}, indent=2))
    tmp.replace(path)


def load(path: Path) -> tuple[list[Recorded], dict]:
    if not path.is_file():
        return [], {}
    state = json.loads(path.read_text())
    return [Recorded(**p) for p in state.pop("processes")], state
