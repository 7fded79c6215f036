"""The serving directory TF Serving watches: numbered version directories, written atomically.

Kept free of TFX so that `inspect` can read it without loading TensorFlow; the Pusher executor
(`pusher.py`) writes through it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

STAGING_PREFIX = ".staging-"


def model_digest(model_dir: Path) -> str:
    """Content hash of a SavedModel directory (relative paths and bytes)."""
    h = hashlib.sha256()
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(model_dir)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def served_versions(base: Path) -> list[Path]:
    """Complete version directories, oldest first."""
    if not base.is_dir():
        return []
    return sorted(
        (p for p in base.iterdir() if p.is_dir() and p.name.isdigit()), key=lambda p: int(p.name)
    )


def push_atomically(model_dir: Path, base: Path) -> tuple[Path, bool]:
    """Returns (served version directory, whether a new version was written)."""
    versions = served_versions(base)
    if versions and model_digest(versions[-1]) == model_digest(model_dir):
        return versions[-1], False
    version = int(time.time())
    if versions:
        version = max(version, int(versions[-1].name) + 1)
    base.mkdir(parents=True, exist_ok=True)
    for stale in base.glob(f"{STAGING_PREFIX}*"):  # left by a push that was killed mid-copy
        shutil.rmtree(stale, ignore_errors=True)
    staging = base / f"{STAGING_PREFIX}{version}"
    try:
        shutil.copytree(model_dir, staging)
    except BaseException:  # a full disk, or Ctrl-C: leave no partial copy beside the versions
        shutil.rmtree(staging, ignore_errors=True)
        raise
    target = base / str(version)
    os.rename(staging, target)  # atomic within one filesystem
    return target, True
