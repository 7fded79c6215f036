"""The tf.keras model: a wide-and-deep network over the transformed features, written two ways.

- Functional (the default): a graph of layers over named `tf.keras.Input`s.
- Subclassed: a `tf.keras.Model` subclass holding the same layers and wiring them in `call`.

Both take the same dict of transformed features and return the probability of a big tipper, so
training, export and serving do not care which one they get. Pure: it knows the feature contract,
not TFX. Written against `tf.keras` only; inside TFX 1.16 that is tf_keras 2.16
(TF_USE_LEGACY_KERAS=1).
"""

from __future__ import annotations

import tensorflow as tf

from components import features as fc
from components.hparams import ModelParams


class OneHot(tf.keras.layers.Layer):
    """[batch, 1] integer ids -> [batch, depth] one-hot. Unlike CategoryEncoding (DenseBincount),
    tf.one_hot is a TF Lite builtin, so the model converts without TF Select ops."""

    def __init__(self, depth: int, **kwargs):
        super().__init__(**kwargs)
        self.depth = depth

    def call(self, ids):
        return tf.one_hot(tf.squeeze(ids, axis=-1), self.depth, dtype=tf.float32)

    def get_config(self):
        return {**super().get_config(), "depth": self.depth}


def input_names() -> list[str]:
    return [fc.transformed_name(f.name) for f in fc.FEATURES]


def _numeric_names() -> list[str]:
    return [fc.transformed_name(f.name) for f in fc.FEATURES if not f.is_categorical]


def _categorical() -> list[fc.Feature]:
    return [f for f in fc.FEATURES if f.is_categorical]


class _Layers:
    """The layers of the network, created once and shared by both ways of wiring them."""

    def __init__(self, params: ModelParams):
        self.one_hots = {
            fc.transformed_name(f.name): OneHot(f.cardinality, name=f"{f.name}_one_hot")
            for f in _categorical()
        }
        self.wide = tf.keras.layers.Concatenate(name="wide")
        self.deep_input = tf.keras.layers.Concatenate(name="deep_input")
        self.deep = [
            tf.keras.layers.Dense(units, activation="relu", name=f"deep_{i}")
            for i, units in enumerate(params.hidden_units)
        ]
        self.wide_and_deep = tf.keras.layers.Concatenate(name="wide_and_deep")
        self.output = (
            tf.keras.layers.Dense(1, activation="sigmoid", name=fc.LABEL.name)
            if fc.LABEL.is_binary
            else tf.keras.layers.Dense(
                fc.LABEL.num_classes, activation="softmax", name=fc.LABEL.name
            )
        )

    def __call__(self, inputs: dict) -> tf.Tensor:
        wide = self.wide([layer(inputs[name]) for name, layer in self.one_hots.items()])
        deep = self.deep_input([inputs[n] for n in _numeric_names()] + [wide])
        for dense in self.deep:
            deep = dense(deep)
        return self.output(self.wide_and_deep([deep, wide]))


def transformed_specs() -> dict[str, tf.TensorSpec]:
    return {
        fc.transformed_name(f.name): tf.TensorSpec(
            [None, 1], tf.int64 if f.is_categorical else tf.float32, fc.transformed_name(f.name)
        )
        for f in fc.FEATURES
    }


def _functional(params: ModelParams) -> tf.keras.Model:
    inputs = {
        name: tf.keras.Input(shape=(1,), name=name, dtype=spec.dtype)
        for name, spec in transformed_specs().items()
    }
    return tf.keras.Model(inputs=inputs, outputs=_Layers(params)(inputs), name=fc.LABEL.name)


class WideAndDeep(tf.keras.Model):
    """The subclassed form of the same network."""

    def __init__(self, params: ModelParams, **kwargs):
        super().__init__(name=fc.LABEL.name, **kwargs)
        self.net = _Layers(params)
        # Tracked as attributes so Keras and SavedModel see their weights.
        self.one_hot_layers = list(self.net.one_hots.values())
        self.deep_layers = self.net.deep
        self.output_layer = self.net.output

    def call(self, inputs, training=False):
        return self.net(inputs)


def _subclassed(params: ModelParams) -> tf.keras.Model:
    model = WideAndDeep(params)
    # Creates the weights now (a subclassed model has none until it is first called), so that
    # weight counts, distribution and export behave as for the Functional model.
    model({name: tf.zeros([1, 1], spec.dtype) for name, spec in transformed_specs().items()})
    return model


def metrics() -> list[tf.keras.metrics.Metric]:
    """The metrics training reports, the same for `fit` and the custom loop."""
    if fc.LABEL.is_binary:
        return [
            tf.keras.metrics.BinaryAccuracy(name="binary_accuracy"),
            tf.keras.metrics.AUC(name="auc"),
        ]
    return [tf.keras.metrics.SparseCategoricalAccuracy(name="sparse_categorical_accuracy")]


def loss(reduction: str = tf.keras.losses.Reduction.AUTO) -> tf.keras.losses.Loss:
    """Cross-entropy for the label's form; the custom loop asks for per-example values."""
    if fc.LABEL.is_binary:
        return tf.keras.losses.BinaryCrossentropy(reduction=reduction)
    return tf.keras.losses.SparseCategoricalCrossentropy(reduction=reduction)


def optimizer(params: ModelParams) -> tf.keras.optimizers.Optimizer:
    return tf.keras.optimizers.Adam(params.learning_rate)


def build_model(params: ModelParams | None = None, compile: bool = True) -> tf.keras.Model:
    """The wide-and-deep model in the API `params.model_api` names (sigmoid head for a binary
    label, softmax over the classes otherwise), compiled for `fit` unless
    `compile` is False (the custom loop brings its own step)."""
    params = params or ModelParams()
    model = _subclassed(params) if params.model_api == "subclassed" else _functional(params)
    if compile:
        model.compile(
            optimizer=optimizer(params),
            loss=loss(),
            metrics=metrics(),
        )
    return model
