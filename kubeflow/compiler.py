"""Compiles `create_pipeline(config)` into a KFP v2 PipelineSpec with TFX's KubeflowV2DagRunner."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from kubeflow.targets import Target
from pipeline.config import PipelineConfig


def compile_spec(config: PipelineConfig, target: Target) -> dict:
    """Returns the compiled PipelineJob as a dict: `pipelineSpec` plus `runtimeConfig`.
    `config.baselines` must be the target's."""
    from tfx.orchestration.kubeflow.v2 import kubeflow_v2_dag_runner as v2

    from pipeline.factory import create_pipeline

    if config.baselines != target.baselines:
        raise ValueError(f"--target {target.name} needs baselines {target.baselines!r}")
    runner_config = v2.KubeflowV2DagRunnerConfig(
        display_name=config.pipeline_name,
        default_image=config.image,
        use_pipeline_spec_2_1=target.pipeline_spec_2_1,
    )
    with tempfile.TemporaryDirectory() as tmp:
        v2.KubeflowV2DagRunner(
            config=runner_config, output_dir=tmp, output_filename="pipeline.json"
        ).run(create_pipeline(config))
        job = json.loads((Path(tmp) / "pipeline.json").read_text())
    _fix_custom_type_resolver_queries(job["pipelineSpec"])
    if target.entrypoint:
        _use_entrypoint(job["pipelineSpec"], target.entrypoint)
    # Carried in the spec itself too, so a YAML spec (which holds only pipelineSpec) still tells
    # the KFP backend where artifacts go.
    job["pipelineSpec"]["defaultPipelineRoot"] = config.pipeline_root
    return job


def schema_title(artifact_type: dict) -> str:
    """The title of a spec's `artifactType`: the name KFP gives the type in ML Metadata, and
    what TFX's entrypoint imports the artifact's class by."""
    import yaml

    return (
        artifact_type.get("schemaTitle") or yaml.safe_load(artifact_type["instanceSchema"])["title"]
    )


def _fix_custom_type_resolver_queries(spec: dict) -> None:
    """TFX 1.16 compiles a Resolver over an artifact type of our own into a query for
    `schema_title="tfx.Artifact"`, while the artifacts carry their own title
    (`components.ValidatedStatistics`), so the query would never match. Point it at the title
    the resolver's own output definition declares."""
    generic = 'schema_title="tfx.Artifact"'
    for component in spec["components"].values():
        executor = spec["deploymentSpec"]["executors"].get(component.get("executorLabel"), {})
        queries = executor.get("resolver", {}).get("outputArtifactQueries", {})
        for key, query in queries.items():
            if generic not in query["filter"]:
                continue
            title = schema_title(component["outputDefinitions"]["artifacts"][key]["artifactType"])
            query["filter"] = query["filter"].replace(generic, f'schema_title="{title}"')


def _use_entrypoint(spec: dict, module: str) -> None:
    """Every task that runs TFX's container entrypoint runs `module` instead, with the same
    arguments (kubeflow/entrypoint.py says why open-source KFP needs it)."""
    from kubeflow.entrypoint import TFX_ENTRYPOINT

    for executor in spec["deploymentSpec"]["executors"].values():
        command = executor.get("container", {}).get("command", [])
        if command[1:] == ["-m", TFX_ENTRYPOINT]:
            command[2] = module
