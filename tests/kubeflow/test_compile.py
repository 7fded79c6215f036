"""The compiled KFP v2 spec: strict proto, same DAG as the local run, image, importable code."""

import importlib
import importlib.util
import os
import subprocess
import sys

import pytest
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from kubeflow.spec_io import read_spec, write_spec
from pipeline.config import local_config
from pipeline.factory import create_pipeline
from pipeline.nodes import MODEL_RESOLVER as RESOLVER_ID
from pipeline.nodes import STATISTICS_RESOLVER as STATISTICS_RESOLVER_ID
from tests.helpers import REPO_ROOT
from tests.kubeflow.conftest import IMAGE, PIPELINE_ROOT


def _node_id(task_name: str) -> str:
    # The Resolver node compiles into one KFP task per resolved channel.
    return RESOLVER_ID if task_name.startswith(RESOLVER_ID + "-") else task_name


def _containers(spec):
    for name, executor in spec["deploymentSpec"]["executors"].items():
        if "container" in executor:
            yield name, executor["container"]


def test_cli_reports_what_it_wrote(compiled):
    path, _, proc = compiled
    assert f"Wrote {path}" in proc.stdout
    assert proc.stderr.count("\n") <= 2, "compile is quiet: " + proc.stderr[:500]


def test_spec_parses_strictly_into_kfp_pipeline_spec(compiled):
    _, job, _ = compiled
    spec = pipeline_spec_pb2.PipelineSpec()
    json_format.ParseDict(job["pipelineSpec"], spec)  # no ignore_unknown_fields
    assert spec.pipeline_info.name == "taxi-big-tipper"
    assert spec.default_pipeline_root == PIPELINE_ROOT
    assert job["runtimeConfig"]["gcsOutputDirectory"] == PIPELINE_ROOT


def test_kfp_target_parses_strictly_too_and_says_what_it_is_for(compiled_kfp):
    _, job, proc = compiled_kfp
    spec = pipeline_spec_pb2.PipelineSpec()
    json_format.ParseDict(job["pipelineSpec"], spec)
    assert spec.schema_version == "2.1.0"
    assert "for open-source Kubeflow Pipelines 2.x (--target kfp" in proc.stdout
    assert not [e for e in spec.deployment_spec["executors"].values() if "resolver" in e]


def test_yaml_form_holds_the_same_pipeline_spec(compiled, tmp_path):
    _, job, _ = compiled
    write_spec(job, tmp_path / "pipeline.yaml")
    spec, root = read_spec(tmp_path / "pipeline.yaml")
    assert spec == job["pipelineSpec"] and root == PIPELINE_ROOT
    json_format.ParseDict(spec, pipeline_spec_pb2.PipelineSpec())
    assert not list(tmp_path.glob(".pipeline.yaml.*")), "no temporary file left behind"


def test_tasks_and_dependencies_equal_the_local_pipeline(compiled, tmp_path):
    _, job, _ = compiled
    local = create_pipeline(local_config(output_dir=tmp_path))
    local_nodes = {c.id for c in local.components}
    local_edges = {(up.id, c.id) for c in local.components for up in c.upstream_nodes}

    tasks = job["pipelineSpec"]["root"]["dag"]["tasks"]
    spec_nodes = {_node_id(t) for t in tasks}
    spec_edges = set()
    for name, task in tasks.items():
        producers = set(task.get("dependentTasks", []))
        for source in task.get("inputs", {}).get("artifacts", {}).values():
            if "taskOutputArtifact" in source:
                producers.add(source["taskOutputArtifact"]["producerTask"])
        # Edges between the Resolver's own tasks are internal to that one node.
        spec_edges |= {
            (_node_id(p), _node_id(name)) for p in producers if _node_id(p) != _node_id(name)
        }
    assert spec_nodes == local_nodes
    assert spec_edges == local_edges


def test_every_executor_runs_the_given_image_and_importable_code(compiled):
    _, job, _ = compiled
    containers = dict(_containers(job["pipelineSpec"]))
    assert containers, "no container executors"
    for name, container in containers.items():
        assert container["image"] == IMAGE, name
        commands = [(container["command"], container["args"])]
        if "lifecycle" in container:
            pre = container["lifecycle"]["preCacheCheck"]
            commands.append((pre["command"], pre["args"]))
        for command, args in commands:
            assert command[:2] == ["python", "-m"], command
            assert importlib.util.find_spec(command[2]) is not None, command[2]
            if "--executor_class_path" in args:
                path = args[args.index("--executor_class_path") + 1]
                module, cls = path.rsplit(".", 1)
                assert hasattr(importlib.import_module(module), cls), path
    non_container = set(job["pipelineSpec"]["deploymentSpec"]["executors"]) - set(containers)
    resolvers = (RESOLVER_ID, STATISTICS_RESOLVER_ID)
    assert non_container and all(n.startswith(resolvers) for n in non_container), non_container


@pytest.mark.parametrize("which", ["compiled", "compiled_kfp"])
def test_every_artifact_type_in_the_spec_imports_as_tfx_reads_it_in_the_task(which, request):
    """Inside a task TFX's entrypoint imports an artifact's class from its schema title (the
    standard titles through its own table, a custom type's title as the class path)."""
    from tfx.orchestration.kubeflow.v2 import compiler_utils
    from tfx.types import Artifact
    from tfx.utils import import_utils

    from kubeflow.compiler import schema_title

    _, job, _ = request.getfixturevalue(which)
    titles = {
        schema_title(d["artifactType"])
        for c in job["pipelineSpec"]["components"].values()
        for side in ("inputDefinitions", "outputDefinitions")
        for d in c.get(side, {}).get("artifacts", {}).values()
    }
    assert "components.ValidatedStatistics" in titles
    for title in titles:
        path = compiler_utils.TITLE_TO_CLASS_PATH.get(title, title)
        cls = import_utils.import_class_by_path(path)
        assert issubclass(cls, Artifact), title


def test_only_the_kfp_spec_runs_our_entrypoint(compiled, compiled_kfp):
    from kubeflow.entrypoint import TFX_ENTRYPOINT

    for (_, job, _), module in ((compiled, TFX_ENTRYPOINT), (compiled_kfp, "kubeflow.entrypoint")):
        commands = {c["command"][2] for _, c in _containers(job["pipelineSpec"])}
        assert commands == {module}


def test_resolvers_query_the_types_they_resolve(compiled):
    _, job, _ = compiled
    executors = job["pipelineSpec"]["deploymentSpec"]["executors"]
    filters = {
        name: q["filter"]
        for name, e in executors.items()
        for q in e.get("resolver", {}).get("outputArtifactQueries", {}).values()
    }
    # The drift baseline: only statistics that passed the gate, never any ExampleStatistics.
    assert filters[f"{STATISTICS_RESOLVER_ID}_executor"] == (
        'schema_title="components.ValidatedStatistics" AND state=LIVE'
    )
    assert not any('"tfx.Artifact"' in f for f in filters.values())


def test_user_code_is_referenced_by_module_path_not_packaged_from_this_machine(compiled):
    _, job, _ = compiled
    tasks = job["pipelineSpec"]["root"]["dag"]["tasks"]
    params = {
        n: t["inputs"]["parameters"]
        for n, t in tasks.items()
        if "inputs" in t and "parameters" in t["inputs"]
    }
    assert (
        params["Transform"]["preprocessing_fn"]["runtimeValue"]["constantValue"]["stringValue"]
        == "components.preprocessing.preprocessing_fn"
    )
    assert (
        params["Trainer"]["run_fn"]["runtimeValue"]["constantValue"]["stringValue"]
        == "components.trainer.run_fn"
    )
    assert "module_file" not in params["Trainer"]


def test_spec_carries_no_path_of_the_build_machine(compiled):
    path, _, _ = compiled
    text = path.read_text()
    for local in {str(REPO_ROOT), os.path.expanduser("~"), "/tmp/", str(path.parent)}:
        assert local not in text, local
    assert "/pipeline/schema/schema.pbtxt" in text  # the schema baked into the image


@pytest.mark.parametrize(
    "args, message",
    [
        (["--image", IMAGE, "--pipeline-root", "/tmp/local/root"], "object-storage URI"),
        (
            ["--target", "kfp", "--image", IMAGE, "--pipeline-root", "minio://mlpipeline/taxi"],
            "opens gs:// URIs only (minio:// needs tensorflow-io)",
        ),
        (
            ["--image", IMAGE, "--pipeline-root", PIPELINE_ROOT, "--serving-dir", "s3://b/s"],
            "serving dir 's3://b/s': the tasks write there with TensorFlow's file system",
        ),
        (["--pipeline-root", PIPELINE_ROOT], "--image is required"),
        (["--image", IMAGE], "--pipeline-root is required"),
        (
            ["--image", IMAGE, "--pipeline-root", PIPELINE_ROOT, "--beam-runner", "dataflow"],
            "needs --project",
        ),
        (
            ["--image", IMAGE, "--pipeline-root", PIPELINE_ROOT, "--beam-runner", "flink"],
            "needs --job-endpoint",
        ),
    ],
)
def test_bad_compile_arguments_are_one_line_errors(tmp_path, args, message):
    out = tmp_path / "p.json"
    proc = subprocess.run(
        [sys.executable, "-m", "kubeflow", "compile", "--output", str(out), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert message in proc.stderr and proc.stderr.strip().count("\n") == 0, proc.stderr
    assert not out.exists()
