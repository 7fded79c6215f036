"""Reads what runs did back from ML Metadata: node states and times, each node's input and output
artifacts (the lineage), the blessing, the push."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2

from pipeline.config import OutputLayout, metadata_store_problem
from pipeline.errors import InputError

RUN_CONTEXT = "pipeline_run"
_NODE_CONTEXT = "node"
State = metadata_store_pb2.Execution.State
Event = metadata_store_pb2.Event


@dataclass
class ArtifactRecord:
    id: int
    type: str  # Examples, ExampleStatistics, Model, ModelBlessing, PushedModel, ...
    uri: str
    properties: dict[str, object] = field(default_factory=dict)


@dataclass
class NodeRecord:
    node: str
    execution_id: int
    # COMPLETE, CACHED, FAILED, RUNNING, or EMPTY for a Resolver with nothing to resolve yet
    state: str
    started: float  # seconds since the epoch
    seconds: float
    inputs: dict[str, list[ArtifactRecord]] = field(default_factory=dict)  # by channel key
    outputs: dict[str, list[ArtifactRecord]] = field(default_factory=dict)
    properties: dict[str, object] = field(default_factory=dict)  # the component's exec properties

    def output(self, type_name: str) -> ArtifactRecord | None:
        return next(
            (a for arts in self.outputs.values() for a in arts if a.type == type_name), None
        )


@dataclass
class RunOutcome:
    run_id: str
    started: float = 0.0
    nodes: dict[str, NodeRecord] = field(default_factory=dict)

    @property
    def states(self) -> dict[str, str]:
        return {n: r.state for n, r in self.nodes.items()}

    def failed_nodes(self) -> list[str]:
        return [n for n, s in self.states.items() if s == "FAILED"]

    def artifact(self, type_name: str) -> ArtifactRecord | None:
        """This run's output of that type (the last node's, if several write one)."""
        found = None
        for record in self.nodes.values():
            found = record.output(type_name) or found
        return found

    def _uri(self, type_name: str) -> str | None:
        artifact = self.artifact(type_name)
        return artifact.uri if artifact else None

    @property
    def evaluation_uri(self) -> str | None:
        return self._uri("ModelEvaluation")

    @property
    def model_run_uri(self) -> str | None:
        return self._uri("ModelRun")

    @property
    def blessed(self) -> bool | None:
        """None when the Evaluator did not finish."""
        blessing = self.artifact("ModelBlessing")
        if blessing is None or "blessed" not in blessing.properties:
            return None
        return bool(blessing.properties["blessed"])

    @property
    def serving_check(self) -> tuple[bool, str] | None:
        """(whether a model server may serve the model, what the check found); None when the
        serving check did not finish."""
        blessing = self.artifact("InfraBlessing")
        if blessing is None or "blessed" not in blessing.properties:
            return None
        return bool(blessing.properties["blessed"]), str(blessing.properties.get("summary", ""))

    @property
    def pushed_to(self) -> str | None:
        pushed = self.artifact("PushedModel")
        if pushed is None or not pushed.properties.get("pushed"):
            return None
        return str(pushed.properties["pushed_destination"])

    @property
    def seconds(self) -> float:
        ends = [r.started + r.seconds for r in self.nodes.values()]
        return max(ends) - self.started if ends else 0.0


def metadata_in(output_dir: Path) -> Path:
    """The ML Metadata store of the local runs written to `output_dir`."""
    path = OutputLayout(output_dir).metadata_path
    if not path.is_file():
        raise InputError(f"no pipeline runs recorded in {output_dir} (no {path.name})")
    if problem := metadata_store_problem(path):
        raise InputError(problem)
    return path


def open_store(metadata_path: str | Path) -> metadata_store.MetadataStore:
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = str(metadata_path)
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
    return metadata_store.MetadataStore(config)


def _value(value: metadata_store_pb2.Value) -> object:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


class _Reader:
    def __init__(self, store: metadata_store.MetadataStore):
        self.store = store
        self.artifact_types = {t.id: t.name for t in store.get_artifact_types()}
        self.context_types = {t.id: t.name for t in store.get_context_types()}

    def node_id(self, execution) -> str:
        for ctx in self.store.get_contexts_by_execution(execution.id):
            if self.context_types.get(ctx.type_id) == _NODE_CONTEXT:
                return ctx.name.split(".", 1)[-1]  # "<pipeline>.<node id>"
        return execution.type

    def artifacts(self, execution_id: int, event_types) -> dict[str, list[ArtifactRecord]]:
        events = [
            e
            for e in self.store.get_events_by_execution_ids([execution_id])
            if e.type in event_types
        ]
        by_id = {a.id: a for a in self.store.get_artifacts_by_id([e.artifact_id for e in events])}
        found: dict[str, list[ArtifactRecord]] = {}
        for event in events:
            artifact = by_id[event.artifact_id]
            key = event.path.steps[0].key if event.path.steps else ""
            props = {k: _value(v) for k, v in artifact.properties.items()}
            props.update({k: _value(v) for k, v in artifact.custom_properties.items()})
            found.setdefault(key, []).append(
                ArtifactRecord(
                    artifact.id, self.artifact_types.get(artifact.type_id, ""), artifact.uri, props
                )
            )
        return found

    def run(self, context) -> RunOutcome:
        outcome = RunOutcome(run_id=context.name, started=context.create_time_since_epoch / 1000)
        executions = sorted(self.store.get_executions_by_context(context.id), key=lambda e: e.id)
        for execution in executions:
            state = State.Name(execution.last_known_state)
            if state == "FAILED" and execution.type.endswith(".Resolver"):
                # TFX records a Resolver that finds nothing yet (a first run has no blessed model
                # or validated statistics) as failed; the run goes on without that input.
                state = "EMPTY"
            node = self.node_id(execution)
            outcome.nodes[node] = NodeRecord(
                node=node,
                execution_id=execution.id,
                state=state,
                started=execution.create_time_since_epoch / 1000,
                seconds=(execution.last_update_time_since_epoch - execution.create_time_since_epoch)
                / 1000,
                inputs=self.artifacts(execution.id, (Event.INPUT,)),
                outputs=self.artifacts(execution.id, (Event.OUTPUT,)),
                properties={k: _value(v) for k, v in execution.custom_properties.items()},
            )
        return outcome


def all_runs(metadata_path: str | Path) -> list[RunOutcome]:
    """Every pipeline run recorded in the store, oldest first."""
    if not Path(metadata_path).exists():
        return []
    reader = _Reader(open_store(metadata_path))
    contexts = sorted(
        reader.store.get_contexts_by_type(RUN_CONTEXT),
        key=lambda c: (c.create_time_since_epoch, c.id),
    )
    return [reader.run(c) for c in contexts]


def latest_run(metadata_path: str | Path, run_id: str | None = None) -> RunOutcome | None:
    """The run named `run_id`, or the most recent one; None if there is none."""
    if not Path(metadata_path).exists():
        return None
    reader = _Reader(open_store(metadata_path))
    contexts = reader.store.get_contexts_by_type(RUN_CONTEXT)
    if run_id is not None:
        contexts = [c for c in contexts if c.name == run_id]
    if not contexts:
        return None
    return reader.run(max(contexts, key=lambda c: (c.create_time_since_epoch, c.id)))
