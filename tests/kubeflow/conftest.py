import json
import subprocess
import sys

import pytest

from tests.helpers import REPO_ROOT

IMAGE = "europe-docker.pkg.dev/example-project/tfx/taxi:1.0"
PIPELINE_ROOT = "gs://example-bucket/taxi"


@pytest.fixture(scope="session")
def compiled(tmp_path_factory):
    """The spec as a user compiles it: `python -m kubeflow compile ...` in a subprocess."""
    out = tmp_path_factory.mktemp("spec") / "pipeline.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubeflow",
            "compile",
            "--output",
            str(out),
            "--image",
            IMAGE,
            "--pipeline-root",
            PIPELINE_ROOT,
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return out, json.loads(out.read_text()), proc
