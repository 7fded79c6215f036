"""The pipeline image: built from the same lock, non-root, and the spec's code importable from
the installed package. No Docker engine here, so the Dockerfile's install steps are replayed
with uv into a scratch environment."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from pipeline.config import IMAGE_ROOT
from pipeline.options import tf_environment
from tests.helpers import REPO_ROOT

DOCKERFILE = REPO_ROOT / "kubeflow" / "Dockerfile"


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return DOCKERFILE.read_text()


def _instructions(text: str) -> list[tuple[str, str]]:
    """(instruction, arguments) pairs; comment lines (also inside continuations) dropped."""
    code = "\n".join(ln for ln in text.splitlines() if not ln.strip().startswith("#"))
    joined = re.sub(r"\\\n", " ", code)
    return [tuple(ln.strip().split(None, 1)) for ln in joined.splitlines() if ln.strip()]


def test_base_image_is_python_3_11_on_debian_12(dockerfile):
    assert _instructions(dockerfile)[0] == ("FROM", "python:3.11-slim-bookworm")


def test_installs_from_the_lock_only(dockerfile):
    runs = [arg for op, arg in _instructions(dockerfile) if op == "RUN" and "uv sync" in arg]
    assert runs and all("--frozen" in r for r in runs)
    copies = " ".join(arg for op, arg in _instructions(dockerfile) if op == "COPY")
    assert "uv.lock" in copies and "pyproject.toml" in copies


def test_image_layout_matches_the_paths_the_spec_names(dockerfile):
    ops = _instructions(dockerfile)
    assert ("WORKDIR", str(IMAGE_ROOT)) in ops
    copied = {arg.split()[-1].lstrip("./") for op, arg in ops if op == "COPY"}
    assert {"schema", "data", "components", "pipeline", "kubeflow", "cluster"} <= copied
    assert "setup.py" in " ".join(arg for op, arg in ops if op == "COPY")


def test_runs_as_non_root_with_legacy_keras(dockerfile):
    ops = _instructions(dockerfile)
    users = [arg for op, arg in ops if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert any(op == "ENV" and "TF_USE_LEGACY_KERAS=1" in arg for op, arg in ops)


@pytest.mark.e2e
def test_lock_installs_the_package_and_the_spec_modules_import_from_it(tmp_path, compiled):
    """Replays `uv sync --frozen --no-editable` on the files the Dockerfile copies, then imports
    every module and executor class the compiled spec names, from outside the source tree."""
    _, job, _ = compiled
    build = tmp_path / "build"
    build.mkdir()
    for name in ("pyproject.toml", "uv.lock", "setup.py", "README.md"):
        shutil.copy(REPO_ROOT / name, build / name)
    for name in ("components", "pipeline", "kubeflow", "cluster"):
        shutil.copytree(
            REPO_ROOT / name, build / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    venv = tmp_path / "venv"
    env_vars = {"UV_PROJECT_ENVIRONMENT": str(venv), "UV_PYTHON_DOWNLOADS": "never"}
    proc = subprocess.run(
        [sys.executable, "-m", "uv", "sync", "--frozen", "--no-editable", "--python", "3.11"],
        cwd=build,
        env={**os.environ, **env_vars},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    shutil.rmtree(build)  # the installed package must not depend on the source tree

    targets = set()
    for executor in job["pipelineSpec"]["deploymentSpec"]["executors"].values():
        container = executor.get("container")
        if not container:
            continue
        targets.add(("module", container["command"][2]))
        if "--executor_class_path" in container["args"]:
            targets.add(
                ("class", container["args"][container["args"].index("--executor_class_path") + 1])
            )
    code = (
        "import importlib, sys\n"
        + "".join(
            f"importlib.import_module({t!r})\n"
            if kind == "module"
            else f"m, c = {t!r}.rsplit('.', 1); getattr(importlib.import_module(m), c)\n"
            for kind, t in sorted(targets)
        )
        + "import components.trainer\nprint(components.trainer.__file__)\n"
    )
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code],
        cwd=tmp_path,
        env=tf_environment(dict(os.environ)),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert str(venv) in proc.stdout, "user code comes from the installed package"
