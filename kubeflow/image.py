"""`python -m kubeflow image` (`make image`): the pipeline image, built here without Docker.

No Docker engine and no registry on this machine kind (docs/platform.md, "Containers without
Docker"): Debian's buildah builds `kubeflow/Dockerfile` with chroot isolation, on a base that
debootstrap makes from Debian's packages (Debian 12 + its Python 3.11, with pip and headers, as
`python:3.11-slim-bookworm` has them), passed as the Dockerfile's BASE_IMAGE.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import checkout_path
from pipeline.errors import ConfigError

IMAGE = "localhost/tfx-taxi-template:dev"
BASE = "localhost/tfx-taxi-template-base:bookworm-py3.11"
TOOLS = {"buildah": "buildah", "debootstrap": "debootstrap", "runc": "runc"}  # command: package
BASE_PACKAGES = ("python3", "python3-pip", "python3-dev", "ca-certificates")
DEBIAN_MIRROR = "http://deb.debian.org/debian"
# The CA bundle downloads go through on these machines (SSL_CERT_FILE): mounted read-only for the
# build steps under this path and named in the variables pip and uv read; never in the image.
BUILD_CA = "/run/build-ca.crt"
CA_VARIABLES = ("SSL_CERT_FILE", "PIP_CERT", "REQUESTS_CA_BUNDLE")


@dataclass(frozen=True)
class Built:
    image: str
    base_seconds: float | None  # None: the base image was there already
    build_seconds: float
    size_bytes: int


def _run(command: list[str], log: Path, what: str) -> None:
    with open(log, "a") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        proc = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise ConfigError(f"{what} failed (exit {proc.returncode}); see {log}")


def require_tools(log: Path) -> None:
    """Installs buildah, debootstrap and runc from Debian's packages when they are missing
    (root only); otherwise a one-line error naming them."""
    missing = [package for command, package in TOOLS.items() if not shutil.which(command)]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise ConfigError(f"missing {', '.join(missing)}: install them with apt-get (as root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
    ):
        with open(log, "a") as out:
            proc = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        if proc.returncode != 0:
            raise ConfigError(f"installing {', '.join(missing)} failed; see {log}")


def _inspect(image: str) -> dict | None:
    proc = subprocess.run(
        ["buildah", "inspect", "--type", "image", image], capture_output=True, text=True
    )
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def size_bytes(image: str) -> int:
    """The sum of the image's layers (uncompressed tar), from its manifest."""
    manifest = json.loads(_inspect(image)["Manifest"])
    return sum(layer["size"] for layer in manifest["layers"])


def make_base(work: Path, log: Path) -> None:
    """Debian 12 by debootstrap, imported as BASE. Like the python image it stands for, pip may
    install into it (no PEP 668 marker) and `apt-get` works."""
    rootfs = work / "rootfs"
    shutil.rmtree(rootfs, ignore_errors=True)
    _run(
        [
            "debootstrap",
            "--variant=minbase",
            f"--include={','.join(BASE_PACKAGES)}",
            "bookworm",
            str(rootfs),
            DEBIAN_MIRROR,
        ],
        log,
        "debootstrap",
    )
    (rootfs / "usr/lib/python3.11/EXTERNALLY-MANAGED").unlink(missing_ok=True)
    for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for item in (rootfs / cache).glob("*"):
            if item.is_file():
                item.unlink()
    tar = work / "rootfs.tar"
    _run(["tar", "-C", str(rootfs), "-cf", str(tar), "."], log, "packing the base")
    shutil.rmtree(rootfs)
    container = subprocess.run(
        ["buildah", "from", "scratch"], capture_output=True, text=True, check=True
    ).stdout.strip()
    try:
        _run(["buildah", "add", container, str(tar), "/"], log, "importing the base")
        _run(
            [
                "buildah",
                "config",
                "--env",
                "LANG=C.UTF-8",
                "--env",
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "--cmd",
                "python3",
                container,
            ],
            log,
            "configuring the base",
        )
        _run(["buildah", "commit", container, BASE], log, "committing the base")
    finally:
        subprocess.run(["buildah", "rm", container], capture_output=True)
        tar.unlink(missing_ok=True)


def build(image: str = IMAGE, base: str | None = None) -> Built:
    """Builds kubeflow/Dockerfile as `image` (on `base`, default: the debootstrap base, made
    once). Logs go to .image/build.log."""
    root = checkout_path()
    work = root / ".image"
    work.mkdir(exist_ok=True)
    log = work / "build.log"
    log.write_text("")
    require_tools(log)
    base_seconds = None
    if base is None:
        base = BASE
        if _inspect(BASE) is None:
            began = time.monotonic()
            make_base(work, log)
            base_seconds = time.monotonic() - began
    ca = os.environ.get("SSL_CERT_FILE")
    ca_args: list[str] = []
    if ca and Path(ca).is_file():
        ca_args = ["--volume", f"{ca}:{BUILD_CA}:ro"]
        ca_args += [arg for v in CA_VARIABLES for arg in ("--build-arg", f"{v}={BUILD_CA}")]
    began = time.monotonic()
    _run(
        [
            "buildah",
            "bud",
            "--isolation",
            "chroot",
            "--layers",
            "-f",
            str(root / "kubeflow" / "Dockerfile"),
            "--build-arg",
            f"BASE_IMAGE={base}",
            *ca_args,
            "-t",
            image,
            str(root),
        ],
        log,
        f"building {image}",
    )
    return Built(image, base_seconds, time.monotonic() - began, size_bytes(image))
