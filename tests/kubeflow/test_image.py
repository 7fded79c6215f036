"""The pipeline image: built here by `make image` (buildah, on a debootstrap base) from the same
lock, non-root, and the spec's code importable from its installed package."""

import re

import pytest

from pipeline.config import IMAGE_ROOT
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


def test_base_image_is_python_3_11_on_debian_12_unless_the_build_passes_one(dockerfile):
    ops = _instructions(dockerfile)
    assert ops[0] == ("ARG", "BASE_IMAGE=python:3.11-slim-bookworm")
    assert [arg for op, arg in ops if op == "FROM"] == ["${BASE_IMAGE}"]


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
def test_the_image_builds_here_and_runs_the_spec_code_as_its_non_root_user(
    built_image, compiled_kfp
):
    """Every module and executor class the compiled spec names imports inside the image, from
    its installed environment, as the image's user, with legacy Keras set."""
    from tests.kubeflow.container import run_in_image

    assert built_image.size_bytes > 1e9  # TensorFlow and TFX are in it
    _, job, _ = compiled_kfp
    targets = set()
    for executor in job["pipelineSpec"]["deploymentSpec"]["executors"].values():
        container = executor["container"]
        assert container["command"][:2] == ["python", "-m"]
        targets.add(("module", container["command"][2]))
        args = container["args"]
        if "--executor_class_path" in args:
            targets.add(("class", args[args.index("--executor_class_path") + 1]))
    assert ("class", "components.baseline_evaluator.MetadataBaselineExecutor") in targets
    code = (
        "import importlib, os, shutil\n"
        # The compiler the build needed for pyfarmhash's sdist is not left in the image.
        + "assert shutil.which('g++') is None\n"
        + "".join(
            f"importlib.import_module({t!r})\n"
            if kind == "module"
            else f"m, c = {t!r}.rsplit('.', 1); getattr(importlib.import_module(m), c)\n"
            for kind, t in sorted(targets)
        )
        + "import components.trainer, importlib.metadata as md\n"
        + "assert md.distribution('tfx-taxi-template').locate_file('components/trainer.py')"
        + ".is_file()\n"
        + "print(components.trainer.__file__, os.getuid(), os.environ['TF_USE_LEGACY_KERAS'])\n"
    )
    proc = run_in_image(built_image.image, ["python", "-c", code])
    assert proc.returncode == 0, proc.stderr[-3000:]
    path, uid, legacy = proc.stdout.split()[-3:]
    # A task's container starts in the image's WORKDIR, where the sources sit beside setup.py
    # (Beam's --setup_file builds them for remote workers); the same package is installed too.
    assert path == "/pipeline/components/trainer.py"
    assert (uid, legacy) == ("10001", "1")
