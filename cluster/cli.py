"""`python -m cluster {start,stop,status} [--runner flink|spark]` (also `make cluster`,
`make cluster-stop`)."""

from __future__ import annotations

import argparse
import sys
import time

from cluster.profiles import PROFILES
from pipeline.errors import ConfigError

EXAMPLES = """examples:
  python -m cluster start                   # Flink: JobManager, 2 TaskManagers, job server, pool
  python -m pipeline run --beam-runner flink
  python -m cluster stop
  python -m cluster start --runner spark    # Spark master and worker, job server, pool
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cluster",
        description="A local Flink or Spark cluster for the pipeline's Beam jobs.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=("start", "stop", "status"))
    parser.add_argument("--runner", choices=sorted(PROFILES), default="flink")
    parser.add_argument(
        "--worker-memory-mb",
        type=int,
        help="memory per TaskManager or Spark worker (default: the profile's, 3072)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    from cluster import local

    args = _parser().parse_args(argv)
    profile = PROFILES[args.runner]
    try:
        if args.command == "start":
            began = time.monotonic()
            started, new = local.start(args.runner, worker_memory_mb=args.worker_memory_mb)
            verb = f"started in {time.monotonic() - began:.0f} s" if new else "already running"
            print(
                f"{args.runner} cluster {verb}: "
                + ", ".join(f"{p.name} (pid {p.pid})" for p in started)
            )
            logs = local.Layout(local.home(), args.runner).logs
            print(
                f"Run on it: python -m pipeline run --beam-runner {args.runner}  "
                f"(UI http://localhost:{profile.ui_port}, logs {logs})"
            )
        elif args.command == "stop":
            stopped = local.stop(args.runner)
            print(
                f"{args.runner} cluster stopped: " + ", ".join(f"pid {p.pid}" for p in stopped)
                if stopped
                else f"no {args.runner} cluster was running"
            )
        else:
            alive = local.running(profile)
            print(
                f"{args.runner} cluster running: "
                + ", ".join(f"{p.name} (pid {p.pid})" for p in alive)
                if alive
                else f"no {args.runner} cluster is running"
            )
            return 0 if alive else 1
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
