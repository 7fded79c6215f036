"""The tf.keras model: a wide-and-deep network over the transformed features, written two ways.

- Functional (the default): a graph of layers over named `tf.keras.Input`s.
- Subclassed: a `tf.keras.Model` subclass holding the same layers and wiring them in `call`.

Both take the same dict of transformed features and return the probability of a big tipper, so
training, export and serving do not care which one they get. Pure: it knows a feature contract
(an argument, by default `components/features.py`'s), not TFX. Written against `tf.keras` only;
inside TFX 1.16 that is tf_keras 2.16 (TF_USE_LEGACY_KERAS=1).
"""

from __future__ import annotations

import tensorflow as tf

from components.contract import Contract, Feature, Label
from components.features import CONTRACT
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


def input_names(contract: Contract = CONTRACT) -> list[str]:
    return [contract.transformed_name(f.name) for f in contract.features]


def _numeric_names(contract: Contract) -> list[str]:
    return [contract.transformed_name(f.name) for f in contract.features if not f.is_categorical]


def _categorical(contract: Contract) -> list[Feature]:
    return [f for f in contract.features if f.is_categorical]


class _Layers:
    """The layers of the network, created once and shared by both ways of wiring them."""

    def __init__(self, params: ModelParams, contract: Contract):
        self.numeric_names = _numeric_names(contract)
        self.one_hots = {
            contract.transformed_name(f.name): OneHot(f.cardinality, name=f"{f.name}_one_hot")
            for f in _categorical(contract)
        }
        self.wide = tf.keras.layers.Concatenate(name="wide")
        self.deep_input = tf.keras.layers.Concatenate(name="deep_input")
        self.deep = [
            tf.keras.layers.Dense(units, activation="relu", name=f"deep_{i}")
            for i, units in enumerate(params.hidden_units)
        ]
        self.wide_and_deep = tf.keras.layers.Concatenate(name="wide_and_deep")
        label = contract.label
        self.output = (
            tf.keras.layers.Dense(1, activation="sigmoid", name=label.name)
            if label.is_binary
            else tf.keras.layers.Dense(label.num_classes, activation="softmax", name=label.name)
        )

    def __call__(self, inputs: dict) -> tf.Tensor:
        wide = self.wide([layer(inputs[name]) for name, layer in self.one_hots.items()])
        deep = self.deep_input([inputs[n] for n in self.numeric_names] + [wide])
        for dense in self.deep:
            deep = dense(deep)
        return self.output(self.wide_and_deep([deep, wide]))


def transformed_specs(contract: Contract = CONTRACT) -> dict[str, tf.TensorSpec]:
    return {
        contract.transformed_name(f.name): tf.TensorSpec(
            [None, 1],
            tf.int64 if f.is_categorical else tf.float32,
            contract.transformed_name(f.name),
        )
        for f in contract.features
    }


def _functional(params: ModelParams, contract: Contract) -> tf.keras.Model:
    inputs = {
        name: tf.keras.Input(shape=(1,), name=name, dtype=spec.dtype)
        for name, spec in transformed_specs(contract).items()
    }
    outputs = _Layers(params, contract)(inputs)
    return tf.keras.Model(inputs=inputs, outputs=outputs, name=contract.label.name)


class WideAndDeep(tf.keras.Model):
    """The subclassed form of the same network."""

    def __init__(self, params: ModelParams, contract: Contract = CONTRACT, **kwargs):
        super().__init__(name=contract.label.name, **kwargs)
        self.net = _Layers(params, contract)
        # Tracked as attributes so Keras and SavedModel see their weights.
        self.one_hot_layers = list(self.net.one_hots.values())
        self.deep_layers = self.net.deep
        self.output_layer = self.net.output

    def call(self, inputs, training=False):
        return self.net(inputs)


def _subclassed(params: ModelParams, contract: Contract) -> tf.keras.Model:
    model = WideAndDeep(params, contract)
    # Creates the weights now (a subclassed model has none until it is first called), so that
    # weight counts, distribution and export behave as for the Functional model.
    specs = transformed_specs(contract)
    model({name: tf.zeros([1, 1], spec.dtype) for name, spec in specs.items()})
    return model


def metrics(label: Label) -> list[tf.keras.metrics.Metric]:
    """The metrics training reports, the same for `fit` and the custom loop."""
    if label.is_binary:
        return [
            tf.keras.metrics.BinaryAccuracy(name="binary_accuracy"),
            tf.keras.metrics.AUC(name="auc"),
        ]
    return [tf.keras.metrics.SparseCategoricalAccuracy(name="sparse_categorical_accuracy")]


def loss(label: Label, reduction: str = tf.keras.losses.Reduction.AUTO) -> tf.keras.losses.Loss:
    """Cross-entropy for the label's form; the custom loop asks for per-example values."""
    if label.is_binary:
        return tf.keras.losses.BinaryCrossentropy(reduction=reduction)
    return tf.keras.losses.SparseCategoricalCrossentropy(reduction=reduction)


def optimizer(params: ModelParams) -> tf.keras.optimizers.Optimizer:
    return tf.keras.optimizers.Adam(params.learning_rate)


def build_model(
    params: ModelParams | None = None, compile: bool = True, contract: Contract = CONTRACT
) -> tf.keras.Model:
    """The wide-and-deep model over `contract`'s features in the API `params.model_api` names
    (sigmoid head for a binary label, softmax over the classes otherwise), compiled for `fit`
    unless `compile` is False (the custom loop brings its own step)."""
    params = params or ModelParams()
    build = _subclassed if params.model_api == "subclassed" else _functional
    model = build(params, contract)
    if compile:
        model.compile(
            optimizer=optimizer(params), loss=loss(contract.label), metrics=metrics(contract.label)
        )
    return model
