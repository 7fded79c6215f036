"""The tf.keras model: builds from the contract, trains, and its export serves raw tf.Examples."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_transform as tft

from components.export import SERVING_INPUT, export
from components.features import CONTRACT
from components.hparams import ModelParams
from components.model import build_model, input_names
from tests.helpers import to_tf_example


def _dataset(rows, batch_size=4):
    features = {k: np.stack([np.asarray(r[k]) for r in rows]) for k in input_names()}
    labels = np.stack([np.asarray(r[CONTRACT.label.name]) for r in rows])
    return tf.data.Dataset.from_tensor_slices((features, labels)).repeat().batch(batch_size)


def test_model_has_one_input_per_contract_feature_and_one_probability_output():
    model = build_model()
    assert sorted(model.input_names) == sorted(input_names())
    assert model.output_shape == (None, 1)
    assert model.layers[-1].activation is tf.keras.activations.sigmoid


def test_model_is_tf_keras_not_keras_3():
    # TFX 1.16's Transform layer and TFMA understand Keras 2 (tf_keras) objects only.
    model = build_model()
    assert type(model).__module__.startswith("tf_keras")


@pytest.fixture(scope="module")
def trained(transformed):
    rows, _ = transformed
    tf.keras.utils.set_random_seed(0)
    model = build_model(ModelParams(hidden_units=(8,), learning_rate=0.05, batch_size=4))
    history = model.fit(_dataset(rows), steps_per_epoch=30, epochs=1, verbose=0)
    return model, history


def test_training_reduces_the_loss(trained, transformed):
    model, history = trained
    rows, _ = transformed
    first = history.history["loss"][0]
    final = model.evaluate(_dataset(rows), steps=5, verbose=0)[0]
    assert final < first


@pytest.fixture(scope="module")
def exported(trained, transformed, tmp_path_factory):
    """The trained model exported as run_fn exports it, then loaded back as TF Serving would."""
    model, _ = trained
    _, transform_dir = transformed
    path = tmp_path_factory.mktemp("export") / "model"
    export(model, tft.TFTransformOutput(str(transform_dir)), str(path))
    return tf.saved_model.load(str(path))


def test_exported_serving_signature_scores_raw_examples_without_label(
    trained, transformed, raw_rows, exported
):
    model, _ = trained
    loaded = exported
    assert set(loaded.signatures) == {"serving_default", "transform_features"}
    serve = loaded.signatures["serving_default"]
    assert list(serve.structured_input_signature[1]) == [SERVING_INPUT]

    label_sources = (CONTRACT.label.numerator,)  # tips is absent at serving time
    examples = tf.constant([to_tf_example(r, drop=label_sources) for r in raw_rows])
    probabilities = serve(examples=examples)[CONTRACT.label.prediction_key].numpy()
    assert probabilities.shape == (len(raw_rows), 1)
    assert np.all((probabilities >= 0) & (probabilities <= 1))

    # Same numbers as the in-memory model on the transformed rows: the Transform graph inside
    # the export is the one the model was trained behind.
    rows, _ = transformed
    direct = model.predict(_dataset(rows, batch_size=len(rows)).take(1), verbose=0)
    np.testing.assert_allclose(probabilities, direct, rtol=1e-4, atol=1e-5)

    # The big tippers (rows 0-4) score higher on average than the rest after training.
    assert probabilities[:5].mean() > probabilities[5:].mean()


def test_transform_features_signature_returns_the_label_for_tfma(raw_rows, exported):
    out = exported.signatures["transform_features"](
        examples=tf.constant([to_tf_example(r) for r in raw_rows])
    )
    np.testing.assert_array_equal(out[CONTRACT.label.name].numpy().reshape(-1), [1] * 5 + [0] * 15)
