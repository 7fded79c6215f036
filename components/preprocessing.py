"""tf.Transform `preprocessing_fn` for the Transform component, driven by a feature contract
(by default `components/features.py`'s).

Every output is a dense `[batch, 1]` tensor named by `Contract.transformed_name`.
"""

from __future__ import annotations

import tensorflow as tf
import tensorflow_transform as tft

from components.contract import Contract, Dtype, Feature, Kind, Label
from components.features import CONTRACT

_FILL = {Dtype.FLOAT: float("nan"), Dtype.INT: -1, Dtype.STRING: ""}


def _densify(x: tf.Tensor | tf.SparseTensor, fill) -> tuple[tf.Tensor, tf.Tensor]:
    """Returns the column as `[batch, 1]` with `fill` where absent, and a `[batch, 1]` bool mask of
    presence. Optional columns arrive as SparseTensors with zero or one value per row."""
    if isinstance(x, tf.SparseTensor):
        shape = tf.stack([x.dense_shape[0], 1])
        single = tf.SparseTensor(x.indices, x.values, shape)
        dense = tf.sparse.to_dense(single, default_value=tf.cast(fill, x.dtype))
        present = tf.sparse.to_dense(
            tf.SparseTensor(x.indices, tf.ones_like(x.values, tf.bool), shape), default_value=False
        )
    else:
        dense = tf.reshape(x, [-1, 1])
        present = tf.ones_like(dense, tf.bool)
    if dense.dtype.is_floating:
        present = tf.logical_and(present, tf.logical_not(tf.math.is_nan(dense)))
    return dense, present


def _dense_float(x, present, f: Feature):
    """Missing values take the mean of the present ones, which z-scores to 0."""
    x = tf.cast(x, tf.float32)
    mean = tft.mean(tf.boolean_mask(x, present))
    return tft.scale_to_z_score(tf.where(present, x, mean))


def _vocab(x, present, f: Feature):
    if x.dtype != tf.string:
        # Integer ids such as census tracts: the vocabulary is built over their decimal strings.
        x = tf.strings.as_string(x)
    return tft.compute_and_apply_vocabulary(
        x, top_k=f.size, num_oov_buckets=f.oov_buckets, vocab_filename=f.name
    )


def _bucket(x, present, f: Feature):
    x = tf.cast(x, tf.float32)
    # Quantile boundaries come from present values only; missing gets the reserved last id.
    filled = tf.where(present, x, tft.mean(tf.boolean_mask(x, present)))
    buckets = tft.bucketize(filled, f.size)
    return tf.where(present, buckets, tf.cast(f.size, tf.int64))


def _identity(x, present, f: Feature):
    x = tf.cast(x, tf.int64)
    in_range = tf.logical_and(present, tf.logical_and(x >= 0, x < f.size))
    return tf.where(in_range, x, tf.cast(f.size, tf.int64))


_TRANSFORMS = {
    Kind.DENSE: _dense_float,
    Kind.VOCAB: _vocab,
    Kind.BUCKET: _bucket,
    Kind.IDENTITY: _identity,
}


def ratio_label(label: Label, numerator, numerator_present, denominator, denominator_present):
    """1 when the numerator exceeds the label's share of the denominator (taxi: the tip is more
    than 20% of the fare). A missing denominator gives 0 (an unknown fare cannot make a big tip);
    a missing numerator counts as 0."""
    tips = tf.where(numerator_present, tf.cast(numerator, tf.float32), 0.0)
    fare = tf.cast(denominator, tf.float32)
    big = tf.logical_and(denominator_present, tips > label.ratio * fare)
    return tf.cast(big, tf.int64)


def class_label(label: Label, x) -> tf.Tensor:
    """The class id of each row: the position of its value in the label's `classes`. Values
    outside them never get here: the schema's domain for the label stops them at the data gate."""
    if x.dtype != tf.string:
        x = tf.strings.as_string(x)
    matches = tf.equal(x, tf.constant(label.classes)[tf.newaxis, :])
    return tf.reshape(tf.argmax(tf.cast(matches, tf.int64), axis=1), [-1, 1])


def preprocessing_fn(inputs: dict, contract: Contract = CONTRACT) -> dict:
    """TFX's Transform calls this with the raw inputs alone, so the default contract applies;
    tests pass another one."""
    outputs = {}
    for f in contract.features:
        x, present = _densify(inputs[f.name], _FILL[f.dtype])
        outputs[contract.transformed_name(f.name)] = _TRANSFORMS[f.kind](x, present, f)

    # The label's source columns are absent at serving time; TFT then prunes this output.
    label = contract.label
    if label.is_derived:
        numerator = _densify(inputs[label.numerator], float("nan"))
        denominator = _densify(inputs[label.denominator], float("nan"))
        outputs[label.name] = ratio_label(label, *numerator, *denominator)
    else:
        raw = inputs[label.name]
        missing = "" if raw.dtype == tf.string else -1
        outputs[label.name] = class_label(label, _densify(raw, missing)[0])
    return outputs
