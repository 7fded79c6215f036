"""An emulation of open-source KFP's driver and launcher (2.0.5, `backend/src/v2/driver` and
`component/launcher_v2.go`), enough to run a compiled `--target kfp` spec task by task inside
the built image on this machine, which has no Kubernetes.

What it reproduces, as KFP 2.0.5's code does it:
- tasks run in dependency order; a task's ExecutorInput takes the spec's `constant` parameters,
  its upstream tasks' output artifacts as the driver hands them (name = the artifact's ML
  Metadata id, the uri, properties as JSON metadata with numbers as doubles, and an empty
  instance schema: `GetOutputArtifactsByExecutionId` leaves it blank), output URIs under
  `<root>/<pipeline>/<run>/<task>/<output>`, and the output file
  `/tmp/kfp_outputs/output_metadata.json`;
- `{{$}}` in the container's args is that ExecutorInput; the command is the spec's, run in a new
  container of the image; lifecycle hooks (CsvExampleGen's `preCacheCheck`) are not run;
- the launcher records into ML Metadata: an execution of type `system.ContainerExecution` with
  INPUT/OUTPUT events keyed by name, output artifacts typed by their schema title with the
  task's metadata as custom properties (`display_name` added), everything attributed to the
  `system.Pipeline` and `system.PipelineRun` contexts.

What stands in for the cluster: ML Metadata is a SQLite file (tasks find it through
TEMPLATE_MLMD_SQLITE instead of the metadata gRPC service's address), and the object-store
bucket is a directory mounted into every task's container at the same path, as a bucket
mount would; the bucket's URI prefix is replaced by that path in what the driver passes.
"""

from __future__ import annotations

import graphlib
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as mlmd

from components.metadata_baselines import PIPELINE_CONTEXT_TYPE, SQLITE_ENV
from kubeflow.compiler import schema_title
from tests.kubeflow.container import run_in_image

RUN_CONTEXT_TYPE = "system.PipelineRun"
EXECUTION_TYPE = "system.ContainerExecution"
OUTPUT_FILE = "/tmp/kfp_outputs/output_metadata.json"


def store_at(path: Path, readonly: bool = False) -> metadata_store.MetadataStore:
    config = mlmd.ConnectionConfig()
    config.sqlite.filename_uri = str(path)
    config.sqlite.connection_mode = (
        mlmd.SqliteMetadataSourceConfig.READONLY
        if readonly
        else mlmd.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    )
    return metadata_store.MetadataStore(config)


def mlmd_value(value) -> mlmd.Value:
    """A JSON metadata value as KFP's launcher stores it (`StructValueToMLMDValue`)."""
    stored = mlmd.Value()
    if isinstance(value, bool):
        stored.int_value = int(value)
    elif isinstance(value, int | float):
        stored.double_value = float(value)
    elif isinstance(value, str):
        stored.string_value = value
    elif isinstance(value, list):
        stored.struct_value.update({"list": value})
    else:
        stored.struct_value.update({"struct": value})
    return stored


def _json_value(value: mlmd.Value):
    """A stored value as KFP's driver hands it to a task (`toRuntimeArtifact`)."""
    kind = value.WhichOneof("value")
    if kind == "struct_value":
        from google.protobuf import json_format

        return json_format.MessageToDict(value.struct_value)
    return float(value.int_value) if kind == "int_value" else getattr(value, kind)


@dataclass
class TaskRun:
    name: str
    seconds: float
    execution_id: int
    outputs: dict[str, mlmd.Artifact] = field(default_factory=dict)


@dataclass
class Launcher:
    spec: dict
    image: str
    bucket_uri: str  # e.g. gs://kfp-emulation: what the spec's pipeline root starts with
    bucket_dir: Path  # the directory standing in for it, mounted at the same path
    store_path: Path  # the SQLite ML Metadata store
    work: Path  # per-task output-file directories

    def _local(self, value: str) -> str:
        return value.replace(self.bucket_uri.rstrip("/") + "/", str(self.bucket_dir) + "/")

    def _tasks_in_order(self) -> list[str]:
        tasks = self.spec["root"]["dag"]["tasks"]
        graph = {name: set(task.get("dependentTasks", [])) for name, task in tasks.items()}
        return list(graphlib.TopologicalSorter(graph).static_order())

    def _contexts(self, store, run_id: str, run_root: str) -> list[mlmd.Context]:
        contexts = []
        for type_name, name, root in (
            (PIPELINE_CONTEXT_TYPE, self.spec["pipelineInfo"]["name"], self.spec_root),
            (RUN_CONTEXT_TYPE, run_id, run_root),
        ):
            type_id = store.put_context_type(mlmd.ContextType(name=type_name))
            existing = store.get_context_by_type_and_name(type_name, name)
            if existing is None:
                existing = mlmd.Context(type_id=type_id, name=name)
                existing.custom_properties["pipeline_root"].string_value = root
                existing.id = store.put_contexts([existing])[0]
            contexts.append(existing)
        return contexts

    @property
    def spec_root(self) -> str:
        return self.spec["defaultPipelineRoot"]

    def run(self, run_id: str) -> dict[str, TaskRun]:
        """Runs every task of the spec as run `run_id`; raises AssertionError naming the first
        task that fails, with the end of its log."""
        for directory in (self.bucket_dir, self.work):
            directory.mkdir(parents=True, exist_ok=True)
            directory.chmod(0o777)  # the image's user (uid 10001) writes there
        store = store_at(self.store_path)
        self.store_path.chmod(0o644)
        pipeline_name = self.spec["pipelineInfo"]["name"]
        run_root = f"{self.spec_root.rstrip('/')}/{pipeline_name}/{run_id}"
        contexts = self._contexts(store, run_id, run_root)
        done: dict[str, TaskRun] = {}
        for name in self._tasks_in_order():
            done[name] = self._run_task(store, contexts, name, run_root, done)
        return done

    def _run_task(self, store, contexts, name, run_root, done) -> TaskRun:
        task = self.spec["root"]["dag"]["tasks"][name]
        component = self.spec["components"][task["componentRef"]["name"]]
        container = self.spec["deploymentSpec"]["executors"][component["executorLabel"]][
            "container"
        ]
        parameters = {}
        for key, source in task.get("inputs", {}).get("parameters", {}).items():
            value = source["runtimeValue"]["constant"]
            parameters[key] = self._local(value) if isinstance(value, str) else value
        inputs, input_events = {}, []
        for key, source in task.get("inputs", {}).get("artifacts", {}).items():
            upstream = source["taskOutputArtifact"]
            stored = done[upstream["producerTask"]].outputs[upstream["outputArtifactKey"]]
            metadata = {k: _json_value(v) for k, v in stored.properties.items()}
            metadata |= {k: _json_value(v) for k, v in stored.custom_properties.items()}
            runtime = {
                "name": str(stored.id),
                "uri": stored.uri,
                "metadata": metadata,
                "type": {"instanceSchema": ""},
            }
            inputs[key] = {"artifacts": [runtime]}
            event = mlmd.Event(type=mlmd.Event.INPUT)
            event.path.steps.add().key = key
            input_events.append((stored, event))
        declared = component.get("outputDefinitions", {}).get("artifacts", {})
        outputs = {
            key: {
                "artifacts": [
                    {
                        "uri": self._local(f"{run_root}/{name}/{key}"),
                        "type": definition["artifactType"],
                    }
                ]
            }
            for key, definition in declared.items()
        }
        executor_input = {
            "inputs": {"parameterValues": parameters, "artifacts": inputs},
            "outputs": {"artifacts": outputs, "outputFile": OUTPUT_FILE},
        }

        execution = mlmd.Execution(
            type_id=store.put_execution_type(mlmd.ExecutionType(name=EXECUTION_TYPE)),
            last_known_state=mlmd.Execution.RUNNING,
        )
        execution.custom_properties["task_name"].string_value = name
        execution.custom_properties["display_name"].string_value = name
        execution.id = store.put_execution(execution, input_events, contexts)[0]

        output_dir = self.work / f"{contexts[1].name}-{name}"
        shutil.rmtree(output_dir, ignore_errors=True)
        output_dir.mkdir(parents=True)
        output_dir.chmod(0o777)
        argv = container["command"] + [
            json.dumps(executor_input) if a == "{{$}}" else a for a in container["args"]
        ]
        began = time.monotonic()
        proc = run_in_image(
            self.image,
            argv,
            volumes={
                str(self.bucket_dir): str(self.bucket_dir),
                str(self.store_path.parent): str(self.store_path.parent) + ":ro",
                str(output_dir): str(Path(OUTPUT_FILE).parent),
            },
            env={SQLITE_ENV: str(self.store_path)},
        )
        seconds = time.monotonic() - began
        if proc.returncode != 0:
            execution.last_known_state = mlmd.Execution.FAILED
            store.put_execution(execution, [], contexts)
            raise AssertionError(f"task {name} failed in the image:\n{proc.stderr[-4000:]}")

        output_file = output_dir / Path(OUTPUT_FILE).name
        written = json.loads(output_file.read_text()) if output_file.exists() else {}
        recorded, output_events = {}, []
        for key, listed in outputs.items():
            runtime = dict(listed["artifacts"][0])
            produced = written.get("artifacts", {}).get(key, {}).get("artifacts", [])
            if produced:
                runtime["uri"] = produced[0].get("uri") or runtime["uri"]
                runtime["metadata"] = produced[0].get("metadata", {})
            type_id = store.put_artifact_type(mlmd.ArtifactType(name=schema_title(runtime["type"])))
            artifact = mlmd.Artifact(type_id=type_id, uri=runtime["uri"], state=mlmd.Artifact.LIVE)
            for k, v in runtime.get("metadata", {}).items():
                artifact.custom_properties[k].CopyFrom(mlmd_value(v))
            artifact.custom_properties["display_name"].string_value = key
            artifact.id = store.put_artifacts([artifact])[0]
            event = mlmd.Event(type=mlmd.Event.OUTPUT)
            event.path.steps.add().key = key
            output_events.append((artifact, event))
            recorded[key] = store.get_artifacts_by_id([artifact.id])[0]
        execution.last_known_state = mlmd.Execution.COMPLETE
        store.put_execution(execution, output_events, contexts)
        return TaskRun(name, seconds, execution.id, recorded)
