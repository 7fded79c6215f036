"""Submits a compiled spec to a Kubeflow Pipelines endpoint (kfp SDK) or Vertex AI Pipelines."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml

from kubeflow.spec_io import read_spec
from kubeflow.targets import KFP, VERTEX, check_target
from pipeline.errors import SubmitError


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()


def submit_kfp(host: str, spec_file: Path, experiment: str, run_name: str | None = None) -> str:
    """Starts a run on a Kubeflow Pipelines v2 endpoint; returns the run id."""
    import warnings

    import kfp

    spec, root = read_spec(spec_file)
    check_target(spec, KFP)
    # kfp warns on every client that it needs a v2 backend; the healthz call below checks that.
    warnings.filterwarnings("ignore", category=FutureWarning, module="kfp")
    try:
        client = kfp.Client(host=host)
        client.get_kfp_healthz()  # fails fast on an unreachable or wrong host
    except Exception as exc:
        raise SubmitError(f"cannot reach Kubeflow Pipelines at {host}: {_reason(exc)}") from exc
    # kfp uploads a PipelineSpec document; a compiled JSON wraps it in a PipelineJob.
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump(spec, f)
    try:
        result = client.create_run_from_pipeline_package(
            f.name,
            arguments={},
            run_name=run_name,
            experiment_name=experiment,
            pipeline_root=root,
        )
    except Exception as exc:
        raise SubmitError(f"Kubeflow Pipelines rejected the run: {_reason(exc)}") from exc
    finally:
        Path(f.name).unlink(missing_ok=True)
    return result.run_id


def submit_vertex(
    project: str, region: str, spec_file: Path, service_account: str | None = None
) -> str:
    """Starts a Vertex AI Pipelines job; returns its resource name."""
    import google.auth
    from google.auth import exceptions as auth_exceptions

    spec, root = read_spec(spec_file)
    check_target(spec, VERTEX)
    try:
        credentials, _ = google.auth.default()
    except auth_exceptions.DefaultCredentialsError as exc:
        raise SubmitError(
            "no Google Cloud credentials: run `gcloud auth application-default login` or set "
            "GOOGLE_APPLICATION_CREDENTIALS"
        ) from exc
    from google.cloud import aiplatform

    try:
        job = aiplatform.PipelineJob(
            display_name=spec["pipelineInfo"]["name"],
            template_path=str(spec_file),
            pipeline_root=root,
            project=project,
            location=region,
            credentials=credentials,
        )
        job.submit(service_account=service_account)
    except Exception as exc:
        raise SubmitError(f"Vertex AI rejected the job: {_reason(exc)}") from exc
    return job.resource_name
