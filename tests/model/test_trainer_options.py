"""The Trainer's options (model API, training loop, tf.distribute strategy) each train a few
steps through the real `run_fn` and export a model that scores raw tf.Examples."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from components.export import TFLITE_FILE
from components.features import CONTRACT
from components.hparams import TRAINING_RECORD
from components.model import input_names
from components.trainer import run_fn
from pipeline.runs.training_logs import read_scalars
from tests.helpers import REPO_ROOT, to_tf_example
from tests.model.train_worker import fn_args

WORKER = REPO_ROOT / "tests" / "model" / "train_worker.py"
STEPS = 60


def _params(**options) -> dict:
    return {"hidden_units": [8], "learning_rate": 0.05, "batch_size": 4, **options}


def _example(value):
    value = np.asarray(value).reshape(-1)
    if value.dtype.kind == "f":
        return tf.train.Feature(float_list=tf.train.FloatList(value=value))
    return tf.train.Feature(int64_list=tf.train.Int64List(value=value))


@pytest.fixture(scope="module")
def examples_dir(transformed, tmp_path_factory):
    """Transform's output for the 20 raw rows, written as Transform writes it (gzipped
    TFRecords of tf.Examples), beside its transform graph."""
    rows, transform_dir = transformed
    base = tmp_path_factory.mktemp("transformed")
    (base / "examples").mkdir()
    with tf.io.TFRecordWriter(
        str(base / "examples" / "part-0.gz"), tf.io.TFRecordOptions(compression_type="GZIP")
    ) as writer:
        for row in rows:
            features = {name: _example(value) for name, value in row.items()}
            writer.write(
                tf.train.Example(features=tf.train.Features(feature=features)).SerializeToString()
            )
    return base, transform_dir


def _work(examples_dir, tmp_path):
    base, transform_dir = examples_dir
    (tmp_path / "examples").symlink_to(base / "examples")
    (tmp_path / "transform_graph").symlink_to(transform_dir)
    return tmp_path


def _raw_examples(raw_rows):
    return tf.constant([to_tf_example(r, drop=(CONTRACT.label.numerator,)) for r in raw_rows])


def _assert_scores_raw_examples(serving_dir, raw_rows) -> np.ndarray:
    serve = tf.saved_model.load(str(serving_dir)).signatures["serving_default"]
    scores = serve(examples=_raw_examples(raw_rows))[CONTRACT.label.prediction_key].numpy()
    assert scores.shape == (len(raw_rows), 1)
    assert np.all((scores >= 0) & (scores <= 1))
    # Rows 0-4 are the big tippers; a trained model ranks them higher.
    assert scores[:5].mean() > scores[5:].mean() + 0.1
    return scores


def _record(work, worker: int | None = None) -> dict:
    run_dir = work / "model_run" / (f"worker-{worker}" if worker else "")
    return json.loads((run_dir / TRAINING_RECORD).read_text())


@pytest.mark.parametrize(
    "model_api,training_loop",
    [("subclassed", "fit"), ("functional", "custom"), ("subclassed", "custom")],
)
def test_option_trains_and_exports_a_model_that_scores_raw_examples(
    examples_dir, tmp_path, raw_rows, model_api, training_loop
):
    work = _work(examples_dir, tmp_path)
    run_fn(fn_args(work, _params(model_api=model_api, training_loop=training_loop), STEPS))

    _assert_scores_raw_examples(work / "serving_model", raw_rows)
    assert (work / "serving_model" / TFLITE_FILE).stat().st_size > 0
    record = _record(work)
    assert (record["model_api"], record["training_loop"], record["replicas"]) == (
        model_api,
        training_loop,
        1,
    )
    assert record["metrics"]["val_auc"] > 0.8

    # Both loops leave the same TensorBoard scalars, and the loss curve goes down.
    curves = read_scalars(work / "model_run")
    losses = [v for _, v in curves["train"]["batch_loss"]]
    assert len(losses) >= 10
    assert losses[-1] < losses[0]
    assert {"epoch_loss", "epoch_auc", "epoch_binary_accuracy"} <= set(curves["validation"])


def test_tflite_model_scores_transformed_rows_like_the_saved_model_scores_raw_ones(
    examples_dir, tmp_path, raw_rows
):
    work = _work(examples_dir, tmp_path)
    run_fn(fn_args(work, _params(), STEPS))
    expected = _assert_scores_raw_examples(work / "serving_model", raw_rows)

    # What an app does: transform the raw rows, then run the TF Lite network on them.
    transform = tf.saved_model.load(str(work / "serving_model")).signatures["transform_features"]
    transformed = transform(examples=tf.constant([to_tf_example(r) for r in raw_rows]))
    interpreter = tf.lite.Interpreter(model_path=str(work / "serving_model" / TFLITE_FILE))
    predict = interpreter.get_signature_runner()
    inputs = {name: transformed[name].numpy() for name in input_names()}
    got = predict(**inputs)[CONTRACT.label.prediction_key]
    assert got.shape == (len(raw_rows), 1)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def _worker(work, params, *extra, env=None):
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(work), json.dumps(params), str(STEPS), *extra],
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait(*workers):
    for worker in workers:
        out, _ = worker.communicate(timeout=300)
        assert worker.returncode == 0, out[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize("training_loop", ["fit", "custom"])
def test_mirrored_strategy_keeps_two_cpu_replicas_in_sync(
    examples_dir, tmp_path, raw_rows, training_loop
):
    work = _work(examples_dir, tmp_path)
    params = _params(strategy="mirrored", training_loop=training_loop)
    _wait(_worker(work, params, "--split-cpu", "2"))

    record = _record(work)
    assert record["replicas"] == 2
    # Both replicas hold the same weights after training: gradients were all-reduced.
    assert record["replica_divergence"] == 0.0
    _assert_scores_raw_examples(work / "serving_model", raw_rows)


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.slow
@pytest.mark.parametrize("training_loop", ["fit", "custom"])
def test_multi_worker_strategy_trains_one_model_on_two_local_workers(
    examples_dir, tmp_path, raw_rows, training_loop
):
    work = _work(examples_dir, tmp_path)
    cluster = {"worker": [f"localhost:{p}" for p in _free_ports(2)]}
    params = _params(strategy="multi-worker", training_loop=training_loop)
    configs = [{"cluster": cluster, "task": {"type": "worker", "index": i}} for i in range(2)]
    workers = [_worker(work, params, env={"TF_CONFIG": json.dumps(c)}) for c in configs]
    _wait(*workers)

    chief, other = _record(work), _record(work, worker=1)
    assert chief["workers"] == other["workers"] == 2
    assert chief["replicas"] == 2
    # The two workers ended with identical weights: they trained one model together.
    assert chief["weights_sha256"] == other["weights_sha256"]
    # Only the chief's export is the model.
    _assert_scores_raw_examples(work / "serving_model", raw_rows)
    others = [p.name for p in (work / "model_run").iterdir() if p.name.startswith("worker")]
    assert others == ["worker-1"]
