"""Reads what a run did back from ML Metadata: node states, the blessing, the push, metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2

_RUN_CONTEXT = "pipeline_run"
_NODE_CONTEXT = "node"
State = metadata_store_pb2.Execution.State


@dataclass
class RunOutcome:
    run_id: str
    # node id -> COMPLETE, CACHED, FAILED, or EMPTY for a Resolver with nothing to resolve yet
    states: dict[str, str] = field(default_factory=dict)
    blessed: bool | None = None  # None: the Evaluator did not finish
    pushed_to: str | None = None
    evaluation_uri: str | None = None

    def failed_nodes(self) -> list[str]:
        return [n for n, s in self.states.items() if s == "FAILED"]


def open_store(metadata_path: str | Path) -> metadata_store.MetadataStore:
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = str(metadata_path)
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
    return metadata_store.MetadataStore(config)


def _node_id(store, execution) -> str:
    for ctx in store.get_contexts_by_execution(execution.id):
        if store.get_context_types_by_id([ctx.type_id])[0].name == _NODE_CONTEXT:
            return ctx.name.split(".", 1)[-1]  # "<pipeline>.<node id>"
    return execution.type


def _outputs(store, execution) -> list:
    events = store.get_events_by_execution_ids([execution.id])
    ids = [e.artifact_id for e in events if e.type == metadata_store_pb2.Event.OUTPUT]
    return store.get_artifacts_by_id(ids) if ids else []


def latest_run(metadata_path: str | Path) -> RunOutcome | None:
    """The most recent pipeline run recorded in the store, or None if there is none."""
    if not Path(metadata_path).exists():
        return None
    store = open_store(metadata_path)
    runs = store.get_contexts_by_type(_RUN_CONTEXT)
    if not runs:
        return None
    run = max(runs, key=lambda c: (c.create_time_since_epoch, c.id))
    outcome = RunOutcome(run_id=run.name)
    executions = sorted(store.get_executions_by_context(run.id), key=lambda e: e.id)
    artifact_types = {t.id: t.name for t in store.get_artifact_types()}
    for execution in executions:
        node = _node_id(store, execution)
        state = State.Name(execution.last_known_state)
        if state == "FAILED" and execution.type.endswith(".Resolver"):
            # TFX records a Resolver that finds nothing yet (a first run has no blessed model or
            # validated statistics) as failed; the run goes on without that input.
            state = "EMPTY"
        outcome.states[node] = state
        for artifact in _outputs(store, execution):
            kind = artifact_types.get(artifact.type_id)
            props = artifact.custom_properties
            if kind == "ModelBlessing" and "blessed" in props:
                outcome.blessed = bool(props["blessed"].int_value)
            elif kind == "ModelEvaluation":
                outcome.evaluation_uri = artifact.uri
            elif kind == "PushedModel" and props.get("pushed") and props["pushed"].int_value:
                outcome.pushed_to = props["pushed_destination"].string_value
    return outcome
