"""Submission fails in one clear line when the endpoint or the credentials are not there."""

import copy
import os
import socket
import subprocess
import sys

import pytest

from kubeflow.spec_io import write_spec
from tests.helpers import REPO_ROOT
from tests.kubeflow.conftest import PIPELINE_ROOT

MINIMAL_JOB = {
    "pipelineSpec": {
        "pipelineInfo": {"name": "taxi-big-tipper"},
        "root": {"dag": {"tasks": {}}},
        "deploymentSpec": {"executors": {}},
        "schemaVersion": "2.1.0",
    },
    "runtimeConfig": {"gcsOutputDirectory": PIPELINE_ROOT},
}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _submit(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "kubeflow", "submit", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "pipeline.json"
    write_spec(MINIMAL_JOB, path)
    return path


@pytest.fixture
def vertex_spec(tmp_path):
    """With a resolver task, as only `--target vertex` compiles."""
    job = copy.deepcopy(MINIMAL_JOB)
    job["pipelineSpec"]["deploymentSpec"]["executors"]["r"] = {"resolver": {}}
    path = tmp_path / "vertex.json"
    write_spec(job, path)
    return path


def test_unreachable_kfp_host_is_one_line_and_nonzero(spec):
    host = f"http://127.0.0.1:{_closed_port()}"
    proc = _submit("--host", host, "--spec", str(spec))
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0, proc.stderr
    assert proc.stderr.startswith(f"error: cannot reach Kubeflow Pipelines at {host}")


def test_vertex_without_credentials_is_one_line_and_nonzero(vertex_spec, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "GOOGLE_APPLICATION_CREDENTIALS"}
    # No ADC file in HOME, and the metadata-server probe pointed at a closed loopback port.
    port = _closed_port()
    env.update(
        HOME=str(tmp_path),
        NO_GCE_CHECK="True",
        GCE_METADATA_HOST=f"127.0.0.1:{port}",
        GCE_METADATA_IP=f"127.0.0.1:{port}",
        CLOUDSDK_CONFIG=str(tmp_path / "gcloud"),
    )
    proc = _submit(
        "--vertex",
        "--project",
        "p",
        "--region",
        "europe-west4",
        "--spec",
        str(vertex_spec),
        env=env,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "error: no Google Cloud credentials: run `gcloud auth application-default login` or set "
        "GOOGLE_APPLICATION_CREDENTIALS"
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--spec", "/nonexistent/pipeline.json", "--host", "http://127.0.0.1:1"],
            "does not exist",
        ),
        (["--vertex"], "--vertex needs --project and --region"),
        ([], "--host is required"),
    ],
)
def test_missing_submit_arguments(spec, args, message):
    if "--spec" not in args:
        args = ["--spec", str(spec), *args]
    proc = _submit(*args)
    assert proc.returncode == 2
    assert message in proc.stderr


def test_a_file_that_is_not_a_spec_is_rejected(tmp_path):
    bad = tmp_path / "notes.yaml"
    bad.write_text("just: text\n")
    proc = _submit("--host", "http://127.0.0.1:1", "--spec", str(bad))
    assert proc.returncode != 0
    assert "is not a compiled KFP v2 pipeline spec" in proc.stderr


def test_a_spec_sent_to_the_other_backend_says_which_target_to_compile_with(compiled, compiled_kfp):
    """Refused before any connection: the host and project here do not exist."""
    vertex_file, kfp_file = compiled[0], compiled_kfp[0]
    proc = _submit("--host", "http://127.0.0.1:1", "--spec", str(vertex_file))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "compiled for Vertex AI Pipelines (--target vertex)" in proc.stderr
    assert proc.stderr.strip().endswith(
        "compile it with --target kfp for open-source Kubeflow Pipelines 2.x"
    )
    proc = _submit("--vertex", "--project", "p", "--region", "r", "--spec", str(kfp_file))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.strip().endswith("compile it with --target vertex for Vertex AI Pipelines")
