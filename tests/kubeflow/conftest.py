import json
import shutil
import subprocess
import sys

import pytest

from tests.helpers import REPO_ROOT, require_tool

IMAGE = "europe-docker.pkg.dev/example-project/tfx/taxi:1.0"
PIPELINE_ROOT = "gs://example-bucket/taxi"


def compile_with_cli(out, *extra) -> tuple[dict, subprocess.CompletedProcess]:
    """The spec as a user compiles it: `python -m kubeflow compile ...` in a subprocess."""
    proc = subprocess.run(
        [sys.executable, "-m", "kubeflow", "compile", "--output", str(out), *extra],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(out.read_text()), proc


@pytest.fixture(scope="session")
def compiled(tmp_path_factory):
    """The default (Vertex) spec: (path, PipelineJob, process)."""
    out = tmp_path_factory.mktemp("spec") / "pipeline.json"
    job, proc = compile_with_cli(out, "--image", IMAGE, "--pipeline-root", PIPELINE_ROOT)
    return out, job, proc


@pytest.fixture(scope="session")
def compiled_kfp(tmp_path_factory):
    """The spec for open-source KFP: (path, PipelineJob, process)."""
    out = tmp_path_factory.mktemp("spec-kfp") / "pipeline.json"
    job, proc = compile_with_cli(
        out, "--target", "kfp", "--image", IMAGE, "--pipeline-root", "gs://example-bucket/kfp"
    )
    return out, job, proc


@pytest.fixture(scope="session")
def built_image():
    """`make image`'s build, done once per session (its layers are reused when nothing changed)."""
    if not shutil.which("buildah"):  # `make image` installs it, with Debian's apt-get
        require_tool("apt-get", "installing buildah, debootstrap and runc")
    from kubeflow import image

    return image.build()
