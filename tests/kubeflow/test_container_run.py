"""Every task of the `--target kfp` spec, run from the spec inside the built image by an
emulation of KFP's launcher (tests/kubeflow/kfp_launcher.py), twice: the first run blesses and
pushes; the second finds the first run's blessed model and validated statistics in ML Metadata
and compares against them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ml_metadata.proto import metadata_store_pb2 as mlmd

from components.baseline_evaluator import BASELINE_STORE_ID_KEY
from components.data_gate import DRIFT_BASELINE_KEY
from components.features import CONTRACT
from kubeflow.compiler import schema_title
from tests.helpers import DATA_CSV, csv_to_examples, read_sample
from tests.kubeflow.conftest import compile_with_cli
from tests.kubeflow.kfp_launcher import Launcher, store_at

pytestmark = pytest.mark.e2e

BUCKET = "gs://kfp-emulation"
RUNS = ("run-1", "run-2")


@pytest.fixture(scope="module")
def emulated(built_image, tmp_path_factory):
    """(spec, {run: {task: TaskRun}}, launcher) after both runs."""
    work = tmp_path_factory.mktemp("kfp_emulation")
    work.chmod(0o755)  # the image's user reaches the mounts below
    spec_file = work / "pipeline.json"
    job, _ = compile_with_cli(
        spec_file,
        "--target",
        "kfp",
        "--image",
        built_image.image,
        "--pipeline-root",
        f"{BUCKET}/taxi",
    )
    spec = job["pipelineSpec"]
    (work / "mlmd").mkdir(mode=0o755)
    launcher = Launcher(
        spec,
        built_image.image,
        BUCKET,
        bucket_dir=work / "bucket",
        store_path=work / "mlmd" / "store.sqlite",
        work=work / "outputs",
    )
    runs = {run: launcher.run(run) for run in RUNS}
    print("\nseconds per task in the image:")
    for name in runs[RUNS[0]]:
        print(f"  {name:<16}" + "".join(f"{runs[r][name].seconds:>8.1f}" for r in RUNS))
    return spec, runs, launcher


def _custom(artifact: mlmd.Artifact, key: str):
    value = artifact.custom_properties[key]
    return getattr(value, value.WhichOneof("value"))


def test_every_task_runs_in_the_image_and_is_recorded_as_kfps_launcher_records_it(emulated):
    spec, runs, launcher = emulated
    store = store_at(launcher.store_path, readonly=True)
    pipeline = store.get_context_by_type_and_name("system.Pipeline", spec["pipelineInfo"]["name"])
    in_pipeline = {a.id for a in store.get_artifacts_by_context(pipeline.id)}
    types = {t.id: t.name for t in store.get_artifact_types()}
    for run in RUNS:
        context = store.get_context_by_type_and_name("system.PipelineRun", run)
        executions = store.get_executions_by_context(context.id)
        assert {e.custom_properties["task_name"].string_value for e in executions} == set(
            spec["root"]["dag"]["tasks"]
        )
        assert {e.last_known_state for e in executions} == {mlmd.Execution.COMPLETE}
        for name, task in runs[run].items():
            ref = spec["root"]["dag"]["tasks"][name]["componentRef"]["name"]
            component = spec["components"][ref]
            declared = component.get("outputDefinitions", {}).get("artifacts", {})
            assert set(task.outputs) == set(declared), name
            for key, artifact in task.outputs.items():
                assert types[artifact.type_id] == schema_title(declared[key]["artifactType"])
                assert artifact.id in in_pipeline
                assert f"/{run}/{name}/{key}" in artifact.uri
                assert Path(artifact.uri).exists(), f"{name} wrote nothing to {artifact.uri}"


def test_example_gen_splits_the_bundled_data_two_to_one(emulated):
    import tensorflow as tf

    _, runs, _ = emulated
    examples = runs["run-1"]["CsvExampleGen"].outputs["examples"]
    assert _custom(examples, "split_names") == '["train", "eval"]'
    counts = {
        split: sum(
            1
            for _ in tf.data.TFRecordDataset(
                [str(p) for p in Path(examples.uri, f"Split-{split}").glob("*.gz")],
                compression_type="GZIP",
            )
        )
        for split in ("train", "eval")
    }
    with open(DATA_CSV) as f:
        rows = sum(1 for _ in f) - 1
    assert sum(counts.values()) == rows
    assert 0.6 < counts["train"] / rows < 0.73, "hash split 2:1"


def test_first_run_has_no_baseline_blesses_and_pushes(emulated):
    _, runs, _ = emulated
    first = runs["run-1"]
    blessing = first["Evaluator"].outputs["blessing"]
    assert _custom(blessing, "blessed") == 1.0
    assert _custom(blessing, "current_model_id") == str(first["Trainer"].outputs["model"].id)
    assert "baseline_model" not in blessing.custom_properties
    gate = first["DataGate"].outputs["validated_statistics"]
    assert DRIFT_BASELINE_KEY not in gate.custom_properties
    pushed = first["Pusher"].outputs["pushed_model"]
    assert _custom(pushed, "pushed") == 1.0
    assert (Path(_custom(pushed, "pushed_destination")) / "saved_model.pb").is_file()


def test_second_run_compares_with_the_first_runs_blessed_model_and_validated_statistics(
    emulated,
):
    import tensorflow_model_analysis as tfma

    _, runs, _ = emulated
    first, second = runs["run-1"], runs["run-2"]
    gate = "DataGate", "validated_statistics"
    assert _custom(second[gate[0]].outputs[gate[1]], DRIFT_BASELINE_KEY) == (
        first[gate[0]].outputs[gate[1]].uri
    )
    baseline = first["Trainer"].outputs["model"]
    blessing = second["Evaluator"].outputs["blessing"]
    assert _custom(blessing, BASELINE_STORE_ID_KEY) == str(baseline.id)
    assert _custom(blessing, "baseline_model") == baseline.uri
    assert _custom(blessing, "current_model_id") == str(second["Trainer"].outputs["model"].id)
    # TFMA evaluated both models and the candidate's difference to the baseline.
    evaluation = second["Evaluator"].outputs["evaluation"].uri
    keys = [kv.key for m in tfma.load_metrics(evaluation) for kv in m.metric_keys_and_values]
    assert {k.model_name for k in keys if k.name == "auc"} == {"candidate", "baseline"}
    assert any(k.is_diff and k.name == "auc" for k in keys)


def test_pushed_models_score_raw_tf_examples(emulated, schema):
    import tensorflow as tf

    _, runs, _ = emulated
    served = [
        Path(_custom(runs[r]["Pusher"].outputs["pushed_model"], "pushed_destination")) for r in RUNS
    ]
    assert len(set(served)) == 2 and served[0].parent == served[1].parent
    rows = read_sample()[1][:500]
    examples = tf.constant(csv_to_examples(rows, schema, drop=(CONTRACT.label.numerator,)))
    labels = [float(r["tips"]) > CONTRACT.label.ratio * float(r["fare"]) for r in rows]
    for version in served:
        model = tf.saved_model.load(str(version))
        scores = model.signatures["serving_default"](examples=examples)[
            CONTRACT.label.prediction_key
        ].numpy()
        assert scores.shape == (len(rows), 1)
        assert np.all((scores >= 0) & (scores <= 1))
        auc = tf.keras.metrics.AUC()
        auc.update_state(labels, scores.reshape(-1))
        assert auc.result().numpy() > 0.9
