"""The two baselines, found in the Kubeflow cluster's ML Metadata by the tasks that use them.

Open-source Kubeflow Pipelines 2.x does not run TFX's resolver tasks (KFP 2.0.5's compiler
stops at "non-container and non-importer executor not implemented"), so a spec compiled with
`--target kfp` has none: the DataGate looks up the latest validated statistics and the
Evaluator the latest blessed model themselves, with TFX's own strategies (LatestArtifactStrategy,
LatestBlessedModelStrategy) over the artifacts of this pipeline in the store KFP's launcher
writes (kubeflow/README.md).

What that store holds, read in KFP 2.0.5's backend (`backend/src/v2/metadata/`):
- artifact types are named after the spec's schema titles (`tfx.Model`, not TFX's `Model`);
- an artifact's custom properties are the metadata the task wrote, converted from JSON: numbers
  become doubles, so TFX's integer `blessed` arrives as 1.0;
- input artifacts reach a task named by their ML Metadata id, so TFX's container entrypoint
  records a blessing's `current_model_id` as that id in a string;
- every artifact a task outputs is attributed to the `system.Pipeline` context of the pipeline.
"""

from __future__ import annotations

import os

from ml_metadata import errors
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2
from tfx.dsl.input_resolution.strategies.latest_artifact_strategy import LatestArtifactStrategy
from tfx.dsl.input_resolution.strategies.latest_blessed_model_strategy import (
    LatestBlessedModelStrategy,
)
from tfx.orchestration.kubeflow.v2 import compiler_utils
from tfx.types import Artifact, artifact_utils, standard_artifacts

# Where KFP's own pods find the store: Kubernetes' environment variables for the
# metadata-grpc-service in the pod's namespace, else that service's default address
# (KFP 2.0.5, backend/src/v2/metadata/env.go).
KFP_HOST_ENV = "METADATA_GRPC_SERVICE_SERVICE_HOST"
KFP_PORT_ENV = "METADATA_GRPC_SERVICE_SERVICE_PORT"
KFP_DEFAULT_ADDRESS = ("metadata-grpc-service.kubeflow", 8080)
# A SQLite file instead: the store of the task-by-task run in tests/kubeflow, which plays KFP's
# launcher on this machine.
SQLITE_ENV = "TEMPLATE_MLMD_SQLITE"
PIPELINE_CONTEXT_TYPE = "system.Pipeline"


def connect() -> metadata_store.MetadataStore:
    sqlite = os.environ.get(SQLITE_ENV)
    if sqlite:
        config = metadata_store_pb2.ConnectionConfig()
        config.sqlite.filename_uri = sqlite
        config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
        return metadata_store.MetadataStore(config)
    host, port = KFP_DEFAULT_ADDRESS
    client = metadata_store_pb2.MetadataStoreClientConfig(
        host=os.environ.get(KFP_HOST_ENV) or host,
        port=int(os.environ.get(KFP_PORT_ENV) or port),
    )
    return metadata_store.MetadataStore(client)


def schema_title(artifact_class: type[Artifact]) -> str:
    """The name KFP gives the artifact type: the title of its schema in the spec."""
    import yaml

    return yaml.safe_load(compiler_utils.get_artifact_schema(artifact_class))["title"]


def _number(value: metadata_store_pb2.Value) -> int | None:
    kind = value.WhichOneof("value")
    if kind == "double_value" and value.double_value.is_integer():
        return int(value.double_value)
    if kind == "string_value" and value.string_value.isdigit():
        return int(value.string_value)
    return None


def _live_in_pipeline(
    store: metadata_store.MetadataStore, pipeline_name: str, artifact_class: type[Artifact]
) -> list[Artifact]:
    try:
        context = store.get_context_by_type_and_name(PIPELINE_CONTEXT_TYPE, pipeline_name)
        artifact_type = store.get_artifact_type(schema_title(artifact_class)) if context else None
    except errors.NotFoundError:  # no run has written such a type yet
        return []
    if artifact_type is None:
        return []
    found = [
        a
        for a in store.get_artifacts_by_context(context.id)
        if a.type_id == artifact_type.id and a.state == metadata_store_pb2.Artifact.LIVE
    ]
    # TFX's strategies read integers where KFP stored doubles and strings (see above); the
    # copies get them back (setting int_value clears the other kinds), the store is left as is.
    for artifact in found:
        for key in ("blessed", "current_model_id"):
            if key in artifact.custom_properties:
                number = _number(artifact.custom_properties[key])
                if number is not None:
                    artifact.custom_properties[key].int_value = number
    typed = metadata_store_pb2.ArtifactType()
    typed.CopyFrom(artifact_type)
    typed.name = artifact_class.TYPE_NAME
    return [artifact_utils.deserialize_artifact(typed, a) for a in found]


def latest_validated_statistics(
    store: metadata_store.MetadataStore, pipeline_name: str, artifact_class: type[Artifact]
) -> Artifact | None:
    """The newest statistics the pipeline's DataGate passed, or None before the first."""
    candidates = _live_in_pipeline(store, pipeline_name, artifact_class)
    if not candidates:
        return None
    resolved = LatestArtifactStrategy().resolve_artifacts(store, {"statistics": candidates})
    return resolved["statistics"][0]


def latest_blessed_model(
    store: metadata_store.MetadataStore, pipeline_name: str
) -> Artifact | None:
    """The newest Model of the pipeline with a blessing saying so, or None before the first."""
    models = _live_in_pipeline(store, pipeline_name, standard_artifacts.Model)
    blessings = _live_in_pipeline(store, pipeline_name, standard_artifacts.ModelBlessing)
    resolved = LatestBlessedModelStrategy().resolve_artifacts(
        store, {"model": models, "model_blessing": blessings}
    )
    return resolved["model"][0] if resolved and resolved["model"] else None
