"""Compiles `create_pipeline(config)` into a KFP v2 PipelineSpec with TFX's KubeflowV2DagRunner."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from pipeline.config import PipelineConfig


def compile_spec(config: PipelineConfig) -> dict:
    """Returns the compiled PipelineJob as a dict: `pipelineSpec` plus `runtimeConfig`."""
    from tfx.orchestration.kubeflow.v2 import kubeflow_v2_dag_runner as v2

    from pipeline.factory import create_pipeline

    runner_config = v2.KubeflowV2DagRunnerConfig(
        display_name=config.pipeline_name, default_image=config.image
    )
    with tempfile.TemporaryDirectory() as tmp:
        v2.KubeflowV2DagRunner(
            config=runner_config, output_dir=tmp, output_filename="pipeline.json"
        ).run(create_pipeline(config))
        job = json.loads((Path(tmp) / "pipeline.json").read_text())
    # Carried in the spec itself too, so a YAML spec (which holds only pipelineSpec) still tells
    # the KFP backend where artifacts go.
    job["pipelineSpec"]["defaultPipelineRoot"] = config.pipeline_root
    return job
