"""Runs a command in a fresh container of a locally built image with `buildah run` (chroot
isolation, no Docker engine here), as a Kubernetes pod would start the task's container."""

from __future__ import annotations

import subprocess


def run_in_image(
    image: str,
    argv: list[str],
    volumes: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    timeout: int = 900,
) -> subprocess.CompletedProcess:
    """`argv` in a new container of `image` as the image's user and working directory, with
    `volumes` ({host path: container path[:ro]}) bound and `env` set, as a pod spec sets them;
    the container is removed afterwards."""
    container = subprocess.run(
        ["buildah", "from", "--pull-never", image], capture_output=True, text=True, check=True
    ).stdout.strip()
    try:
        mounts = [
            arg for host, inside in (volumes or {}).items() for arg in ("-v", f"{host}:{inside}")
        ]
        variables = [arg for item in (env or {}).items() for arg in ("--env", "=".join(item))]
        return subprocess.run(
            [
                "buildah",
                "run",
                "--isolation",
                "chroot",
                *mounts,
                *variables,
                container,
                "--",
                *argv,
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    finally:
        subprocess.run(["buildah", "rm", container], capture_output=True)
