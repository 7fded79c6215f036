"""Open-source KFP's own Argo compiler (KFP 2.0.5's backend, built from the Go module proxy by
`kfp_compiler/`) judges the specs: the `--target kfp` spec compiles into an Argo Workflow that
runs every task; the `--target vertex` spec is refused on its resolver tasks."""

import json
import subprocess

import pytest

from tests.helpers import REPO_ROOT, require_tool

pytestmark = pytest.mark.e2e

JUDGE = REPO_ROOT / "tests" / "kubeflow" / "kfp_compiler"


@pytest.fixture(scope="module")
def kfp_compiler(tmp_path_factory) -> str:
    go = require_tool("go", "building open-source KFP's compiler (tests/kubeflow/kfp_compiler)")
    binary = tmp_path_factory.mktemp("go") / "kfp_compiler"
    proc = subprocess.run(
        [go, "build", "-o", str(binary), "."],
        cwd=JUDGE,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return str(binary)


def _judge(kfp_compiler: str, spec_file) -> subprocess.CompletedProcess:
    return subprocess.run(
        [kfp_compiler, str(spec_file)], capture_output=True, text=True, timeout=120
    )


def test_kfp_spec_compiles_to_a_workflow_running_every_task(kfp_compiler, compiled_kfp):
    spec_file, job, _ = compiled_kfp
    proc = _judge(kfp_compiler, spec_file)
    assert proc.returncode == 0, proc.stderr
    workflow = json.loads(proc.stdout)
    assert workflow["kind"] == "Workflow"
    spec = job["pipelineSpec"]
    tasks = spec["root"]["dag"]["tasks"]
    templates = {t["name"]: t for t in workflow["spec"]["templates"]}
    dag = {t["name"]: t for t in templates["root"]["dag"]["tasks"]}
    # KFP runs each task as a driver (resolves inputs in ML Metadata) and then the executor
    # (the task's container, launched by KFP's launcher).
    assert set(dag) == set(tasks) | {f"{name}-driver" for name in tasks}
    for name, task in tasks.items():
        assert dag[f"{name}-driver"]["template"] == "system-container-driver"
        assert dag[name]["template"] == "system-container-executor"
        upstream = sorted(task.get("dependentTasks", []))
        expected = " && ".join(f"{u}.Succeeded" for u in upstream) or None
        assert dag[f"{name}-driver"].get("depends") == expected, name
        # The container the executor runs is the spec's, as written.
        executor = spec["components"][task["componentRef"]["name"]]["executorLabel"]
        container = spec["deploymentSpec"]["executors"][executor]["container"]
        impl = workflow["metadata"]["annotations"][f"pipelines.kubeflow.org/implementations-{name}"]
        assert json.loads(impl) == container


def test_kfp_spec_uses_only_constant_parameters(compiled_kfp):
    """KFP's driver takes a task parameter only as `runtimeValue.constant` (KFP 2.0.5,
    backend/src/v2/driver/driver.go, resolveInputs: any other runtime value is "param runtime
    value spec of type ... not implemented"); the compiler does not check this, so it is
    asserted here."""
    _, job, _ = compiled_kfp
    assert job["pipelineSpec"]["schemaVersion"] == "2.1.0"
    for name, task in job["pipelineSpec"]["root"]["dag"]["tasks"].items():
        for key, source in task.get("inputs", {}).get("parameters", {}).items():
            assert set(source) == {"runtimeValue"}, (name, key)
            assert set(source["runtimeValue"]) == {"constant"}, (name, key)


def test_vertex_spec_is_refused_on_its_resolver_tasks(kfp_compiler, compiled):
    spec_file, job, _ = compiled
    resolvers = [
        label
        for label, e in job["pipelineSpec"]["deploymentSpec"]["executors"].items()
        if "resolver" in e
    ]
    assert len(resolvers) == 3
    proc = _judge(kfp_compiler, spec_file)
    assert proc.returncode == 1
    assert "non-container and non-importer executor not implemented" in proc.stderr
    assert any(label in proc.stderr for label in resolvers)
