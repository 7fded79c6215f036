"""tf.Transform `preprocessing_fn` for the Transform component, driven by the feature contract.

Every output is a dense `[batch, 1]` tensor named by `features.transformed_name`.
"""

from __future__ import annotations

import tensorflow as tf
import tensorflow_transform as tft

from components import features as fc
from components.features import Dtype, Kind

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


def _dense_float(x, present, f: fc.Feature):
    """Missing values take the mean of the present ones, which z-scores to 0."""
    x = tf.cast(x, tf.float32)
    mean = tft.mean(tf.boolean_mask(x, present))
    return tft.scale_to_z_score(tf.where(present, x, mean))


def _vocab(x, present, f: fc.Feature):
    if x.dtype != tf.string:
        # Integer ids such as census tracts: the vocabulary is built over their decimal strings.
        x = tf.strings.as_string(x)
    return tft.compute_and_apply_vocabulary(
        x, top_k=f.size, num_oov_buckets=f.oov_buckets, vocab_filename=f.name
    )


def _bucket(x, present, f: fc.Feature):
    x = tf.cast(x, tf.float32)
    # Quantile boundaries come from present values only; missing gets the reserved last id.
    filled = tf.where(present, x, tft.mean(tf.boolean_mask(x, present)))
    buckets = tft.bucketize(filled, f.size)
    return tf.where(present, buckets, tf.cast(f.size, tf.int64))


def _identity(x, present, f: fc.Feature):
    x = tf.cast(x, tf.int64)
    in_range = tf.logical_and(present, tf.logical_and(x >= 0, x < f.size))
    return tf.where(in_range, x, tf.cast(f.size, tf.int64))


_TRANSFORMS = {
    Kind.DENSE: _dense_float,
    Kind.VOCAB: _vocab,
    Kind.BUCKET: _bucket,
    Kind.IDENTITY: _identity,
}


def ratio_label(numerator, numerator_present, denominator, denominator_present):
    """1 when the numerator exceeds the contract's share of the denominator (taxi: the tip is
    more than 20% of the fare). A missing denominator gives 0 (an unknown fare cannot make a big
    tip); a missing numerator counts as 0."""
    tips = tf.where(numerator_present, tf.cast(numerator, tf.float32), 0.0)
    fare = tf.cast(denominator, tf.float32)
    big = tf.logical_and(denominator_present, tips > fc.LABEL.ratio * fare)
    return tf.cast(big, tf.int64)


def class_label(x) -> tf.Tensor:
    """The class id of each row: the position of its value in the contract's `classes`. Values
    outside them never get here: the schema's domain for the label stops them at the data gate."""
    if x.dtype != tf.string:
        x = tf.strings.as_string(x)
    matches = tf.equal(x, tf.constant(fc.LABEL.classes)[tf.newaxis, :])
    return tf.reshape(tf.argmax(tf.cast(matches, tf.int64), axis=1), [-1, 1])


def preprocessing_fn(inputs: dict) -> dict:
    outputs = {}
    for f in fc.FEATURES:
        x, present = _densify(inputs[f.name], _FILL[f.dtype])
        outputs[fc.transformed_name(f.name)] = _TRANSFORMS[f.kind](x, present, f)

    # The label's source columns are absent at serving time; TFT then prunes this output.
    if fc.LABEL.is_derived:
        numerator = _densify(inputs[fc.LABEL.numerator], float("nan"))
        denominator = _densify(inputs[fc.LABEL.denominator], float("nan"))
        outputs[fc.LABEL.name] = ratio_label(*numerator, *denominator)
    else:
        raw = inputs[fc.LABEL.name]
        outputs[fc.LABEL.name] = class_label(_densify(raw, "" if raw.dtype == tf.string else -1)[0])
    return outputs
