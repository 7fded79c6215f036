"""The whole local pipeline, as the CLI runs it: what the runs (tests/pipeline/conftest.py) left
in ML Metadata and the serving directory."""

import json
from pathlib import Path

import numpy as np
import pytest

from components.export import TFLITE_FILE
from components.features import CONTRACT
from components.hparams import TRAINING_RECORD
from pipeline import nodes
from tests.helpers import csv_to_examples
from tests.pipeline.conftest import TRAIN_ROWS

pytestmark = pytest.mark.e2e

UNSEEN_ROWS = 3000
UPSTREAM = [
    nodes.EXAMPLE_GEN,
    nodes.STATISTICS_GEN,
    nodes.SCHEMA_GEN,
    nodes.EXAMPLE_VALIDATOR,
    nodes.TRANSFORM,
    nodes.TRAINER,
]


def _ok(proc):
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_first_run_completes_every_component_in_ml_metadata(runs):
    _, results = runs
    proc, outcome, _ = results["first"]
    _ok(proc)
    expected = dict.fromkeys(set(nodes.ALL) - set(nodes.OPTIONAL), "COMPLETE")
    expected[nodes.STATISTICS_RESOLVER] = "EMPTY"  # no validated statistics before the first run
    assert outcome.states == expected


def test_example_validator_finds_the_bundled_data_clean(runs):
    """The curated schema matches what CsvExampleGen writes, so the gate passes good data."""
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    output, _ = runs
    files = sorted((output / "pipeline_root" / "ExampleValidator").rglob("SchemaDiff.pb"))
    assert files
    for path in files:
        anomalies = anomalies_pb2.Anomalies.FromString(path.read_bytes())
        assert dict(anomalies.anomaly_info) == {}, path


def test_first_run_blesses_and_pushes_one_version(runs):
    output, results = runs
    proc, outcome, versions = results["first"]
    _ok(proc)
    assert outcome.blessed is True
    assert len(versions) == 1 and versions[0].isdigit()
    assert outcome.pushed_to == str(output / "serving" / versions[0])
    assert "blessed and pushed to" in proc.stdout
    assert (output / "serving" / versions[0] / "saved_model.pb").is_file()
    assert (output / "serving" / versions[0] / TFLITE_FILE).stat().st_size > 0


def test_pushed_model_scores_unseen_raw_examples_as_probabilities(runs, sample_rows, schema):
    import tensorflow as tf

    output, results = runs
    _, _, versions = results["first"]
    model = tf.saved_model.load(str(output / "serving" / versions[0]))
    unseen = sample_rows[TRAIN_ROWS : TRAIN_ROWS + UNSEEN_ROWS]
    examples = tf.constant(csv_to_examples(unseen, schema, drop=(CONTRACT.label.numerator,)))
    scores = model.signatures["serving_default"](examples=examples)[
        CONTRACT.label.prediction_key
    ].numpy()
    assert scores.shape == (len(unseen), 1)
    assert np.all((scores >= 0) & (scores <= 1))
    labels = [float(r["tips"]) > CONTRACT.label.ratio * float(r["fare"]) for r in unseen]
    auc = tf.keras.metrics.AUC()
    auc.update_state(labels, scores.reshape(-1))
    assert auc.result().numpy() > 0.9, "taxi big-tipper is easy: cash trips record no tips"


def test_identical_second_run_runs_nothing_and_names_every_component_reused(runs):
    _, results = runs
    proc, outcome, versions = results["unchanged"]
    _ok(proc)
    first = results["first"][1]
    assert outcome.run_id == first.run_id  # no new run in ML Metadata
    assert f"Nothing changed since run {first.run_id}" in proc.stdout
    reused = ", ".join(first.nodes)
    assert f"All {len(first.nodes)} components reused, none ran: {reused}." in proc.stdout
    assert " running" not in proc.stdout  # no component started
    assert f"blessed and pushed to {first.pushed_to}" in proc.stdout  # that run's summary
    assert versions == results["first"][2]


def test_second_run_with_a_lower_bar_is_served_from_the_cache_without_a_duplicate_push(runs):
    _, results = runs
    proc, outcome, versions = results["cached"]
    _ok(proc)
    assert {n: outcome.states[n] for n in UPSTREAM} == dict.fromkeys(UPSTREAM, "CACHED")
    # The Evaluator re-runs with its new bar, and the first run's model (the same one) as baseline.
    assert outcome.blessed is True
    assert versions == results["first"][2]
    assert outcome.pushed_to.endswith(versions[0])


def _config(output: Path, *extra: str):
    """The config the CLI builds for these arguments."""
    from pipeline.cli import _config as cli_config
    from pipeline.cli import _parser
    from tests.helpers import pipeline_command

    data = Path(_data_dir(output))
    argv = pipeline_command(data, output, *extra, train_steps=300, eval_steps=50)[3:]
    return cli_config(_parser().parse_args(argv))


def _data_dir(output: Path) -> str:
    return str(output.parent / "data")


def test_nothing_changed_is_decided_from_the_data_fingerprint_and_the_settings(runs):
    """After the runs, the newest run in `output` is the slow one: the same arguments find it
    unchanged; a touched data file, other settings or `--no-cache` do not."""
    import os

    from pipeline.local.unchanged import run_key, unchanged_since

    def unchanged(config):
        return unchanged_since(config, run_key(config))

    output, results = runs
    slow = ("--max-latency-ms", "0.001")
    assert f"since run {results['slow'][1].run_id}" in unchanged(_config(output, *slow))
    assert unchanged(_config(output, *slow, "--no-cache")) is None
    assert unchanged(_config(output, "--max-latency-ms", "0.002")) is None

    data_file = next(Path(_data_dir(output)).glob("*.csv"))
    stat = data_file.stat()
    try:
        os.utime(data_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        assert unchanged(_config(output, *slow)) is None
    finally:
        os.utime(data_file, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert unchanged(_config(output, *slow)) is not None


def test_unblessed_model_is_not_pushed_and_serving_is_untouched(runs):
    _, results = runs
    proc, outcome, versions = results["strict"]
    _ok(proc)
    assert outcome.blessed is False
    assert outcome.pushed_to is None
    assert versions == results["first"][2]
    assert "not blessed" in proc.stdout
    assert "auc" in proc.stdout and "overall" in proc.stdout


def test_subclassed_model_with_custom_loop_is_blessed_and_pushed_with_its_tflite(runs):
    _, results = runs
    proc, outcome, versions = results["toolbox"]
    _ok(proc)
    assert outcome.blessed is True
    assert len(versions) == 1
    pushed = outcome.pushed_to
    assert pushed.endswith(versions[0])
    assert {"saved_model.pb", TFLITE_FILE} <= {p.name for p in Path(pushed).iterdir()}
    record = json.loads(next(Path(outcome.model_run_uri).rglob(TRAINING_RECORD)).read_text())
    assert (record["model_api"], record["training_loop"]) == ("subclassed", "custom")


def test_tuned_run_trains_with_the_best_of_its_seeded_trials(runs):
    from components.hparams import ModelParams
    from pipeline.runs import artifacts

    _, results = runs
    proc, outcome, _ = results["toolbox"]
    assert outcome.states[nodes.TUNER] == "COMPLETE"
    found = artifacts.tuning(outcome)
    assert [t["number"] for t in found["trials"]] == [0, 1, 2]
    # Trial 0 is the untuned model, so tuning cannot end below it on its own objective.
    default = ModelParams()
    assert found["trials"][0]["params"] == {
        "learning_rate": default.learning_rate,
        "hidden_units": "-".join(map(str, default.hidden_units)),
        "batch_size": default.batch_size,
    }
    assert all(0.5 < t["value"] <= 1.0 for t in found["trials"])
    best = max(found["trials"], key=lambda t: t["value"])
    assert found["best_trial"] == best["number"]
    # The Trainer trained with the winner's values, on top of the run's own options.
    record = artifacts.training_record(outcome)
    assert record["tuned"] is True
    assert record["learning_rate"] == pytest.approx(best["params"]["learning_rate"])
    assert record["batch_size"] == best["params"]["batch_size"]
    assert "-".join(map(str, record["hidden_units"])) == best["params"]["hidden_units"]
    assert f"Tuning   {artifacts.describe_tuning(found)}" in proc.stdout


def test_tuning_is_seeded_and_a_cached_run_reuses_it(runs):
    import json

    from tfx.components.trainer import fn_args_utils
    from tfx.types import standard_artifacts

    from components.hparams import ModelParams
    from components.tuning import search

    _, results = runs
    proc, again, versions = results["toolbox-again"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert again.states[nodes.TUNER] == again.states[nodes.TRAINER] == "CACHED"
    assert versions == results["toolbox"][2]
    # The same search on the same data finds the same trials, values included.
    first = results["toolbox"][1]
    examples = standard_artifacts.Examples()
    examples.uri = first.nodes[nodes.TRANSFORM].outputs["transformed_examples"][0].uri
    examples.split_names = json.dumps(["train", "eval"])
    graph = standard_artifacts.TransformGraph()
    graph.uri = first.nodes[nodes.TRANSFORM].outputs["transform_graph"][0].uri
    fn_args = fn_args_utils.get_common_fn_args(
        {"examples": [examples], "transform_graph": [graph]},
        {"train_args": '{"num_steps": 20}', "eval_args": '{"num_steps": 5}'},
    )
    one, two = (
        search(fn_args, ModelParams(seed=7), trials=2, steps=20, eval_steps=5) for _ in range(2)
    )
    assert one == two
    assert one["trials"][0]["params"] != one["trials"][1]["params"]


def test_pipeline_step_scores_the_data_with_the_model_it_pushed(runs):
    import csv

    _, results = runs
    proc, outcome, _ = results["toolbox"]
    assert outcome.states[nodes.BATCH_INFERENCE] == "COMPLETE"
    scored = outcome.artifact("InferenceResult")
    assert scored.properties["rows"] == TRAIN_ROWS
    assert scored.properties["model"] == outcome.pushed_to
    path = Path(scored.uri) / "scores.csv"
    with open(path, newline="") as f:
        lines = list(csv.DictReader(f))
    key = CONTRACT.label.prediction_key
    assert list(lines[0]) == ["file", "row", "company", key]
    assert sorted(int(line["row"]) for line in lines) == list(range(1, TRAIN_ROWS + 1))
    assert all(0.0 <= float(line[key]) <= 1.0 for line in lines)
    assert f"Scores   {TRAIN_ROWS:,} rows of " in proc.stdout
    # The second run re-blesses the same model against itself, so the Pusher and this step run
    # again: the same served version, the same scores.
    again = results["toolbox-again"][1].artifact("InferenceResult")
    assert again.properties["model"] == outcome.pushed_to
    rescored = (Path(again.uri) / "scores.csv").read_text().splitlines()
    assert sorted(rescored) == sorted(path.read_text().splitlines())
