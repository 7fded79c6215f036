"""A second feature contract beside the taxi one, in the same process: Transform's
`preprocessing_fn`, the model, the export and the Evaluator config all take the contract as an
argument instead of reading a module global."""

import functools

import numpy as np
import pytest

from components.contract import Contract, Dtype, Feature, Kind, Label
from components.features import CONTRACT as TAXI

FRUIT = Contract(
    features=(
        Feature("weight_g", Kind.DENSE, Dtype.FLOAT),
        Feature("colour", Kind.VOCAB, Dtype.STRING, size=10, oov_buckets=1),
        Feature("harvest_month", Kind.IDENTITY, Dtype.INT, size=13),
    ),
    label=Label(name="fruit", classes=("apple", "banana", "orange")),
    slice_feature="colour",
)
COLOURS = ("red", "yellow", "orange")


def _rows(n: int = 30) -> list[dict]:
    # Class i has colour i and weight 100 * (i + 1): a model can separate them.
    return [
        {
            "weight_g": [100.0 * (i % 3 + 1)] if i != 4 else [],
            "colour": [COLOURS[i % 3]],
            "harvest_month": [1 + i % 12],
            "fruit": [FRUIT.label.classes[i % 3]],
        }
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def fruit_transformed(tmp_path_factory):
    import tensorflow as tf
    import tensorflow_transform.beam as tft_beam
    from tensorflow_transform.tf_metadata import dataset_metadata

    from components.preprocessing import preprocessing_fn

    spec = {
        "weight_g": tf.io.VarLenFeature(tf.float32),
        "colour": tf.io.FixedLenFeature([1], tf.string),
        "harvest_month": tf.io.FixedLenFeature([1], tf.int64),
        "fruit": tf.io.FixedLenFeature([1], tf.string),
    }
    metadata = dataset_metadata.DatasetMetadata.from_feature_spec(spec)
    out = tmp_path_factory.mktemp("fruit")
    with tft_beam.Context(temp_dir=str(out / "tmp")):
        (rows, _), _ = (_rows(), metadata) | tft_beam.AnalyzeAndTransformDataset(
            functools.partial(preprocessing_fn, contract=FRUIT)
        )
    return rows


def test_preprocessing_follows_the_contract_it_is_given(fruit_transformed):
    names = {f"{f.name}_xf" for f in FRUIT.features} | {"fruit"}
    assert set(fruit_transformed[0]) == names
    labels = [int(np.asarray(r["fruit"]).reshape(-1)[0]) for r in fruit_transformed]
    assert labels == [i % 3 for i in range(30)]
    weights = np.array([np.asarray(r["weight_g_xf"]).reshape(-1)[0] for r in fruit_transformed])
    assert weights[4] == pytest.approx(0.0, abs=1e-6)  # missing -> mean -> z-score 0
    assert not any(name in fruit_transformed[0] for name in ("fare_xf", "big_tipper"))


def test_model_for_a_second_contract_beside_the_taxi_model(fruit_transformed):
    import tensorflow as tf

    from components.hparams import ModelParams
    from components.model import build_model, input_names

    taxi = build_model(ModelParams(hidden_units=(4,)))
    fruit = build_model(ModelParams(hidden_units=(8,), learning_rate=0.05), contract=FRUIT)
    assert sorted(fruit.input_names) == sorted(input_names(FRUIT))
    assert sorted(taxi.input_names) == sorted(input_names(TAXI))
    features = {
        k: np.stack([np.asarray(r[k]).reshape(1) for r in fruit_transformed])
        for k in input_names(FRUIT)
    }
    labels = np.stack([np.asarray(r["fruit"]).reshape(1) for r in fruit_transformed])
    fruit.fit(features, labels, epochs=30, batch_size=10, verbose=0)
    probabilities = fruit.predict(features, verbose=0)
    assert probabilities.shape == (30, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert (probabilities.argmax(axis=1) == labels.reshape(-1)).mean() == 1.0
    assert taxi.output_shape == (None, 1)
    assert isinstance(fruit.loss, tf.keras.losses.SparseCategoricalCrossentropy)


def test_eval_config_for_a_second_contract():
    from pipeline.config import Thresholds
    from pipeline.evaluation import eval_config

    fruit, taxi = eval_config(Thresholds(), FRUIT), eval_config(Thresholds())
    assert fruit.model_specs[0].label_key == "fruit"
    assert fruit.model_specs[0].prediction_key == "fruit_probabilities"
    assert [s.feature_keys for s in fruit.slicing_specs] == [[], ["colour"]]
    gated = [m.class_name for m in fruit.metrics_specs[0].metrics]
    assert gated == ["ExampleCount", "SparseCategoricalAccuracy"]
    assert taxi.model_specs[0].prediction_key == "big_tipper_probability"
    assert [m.class_name for m in taxi.metrics_specs[0].metrics][1:] == ["AUC", "BinaryAccuracy"]
