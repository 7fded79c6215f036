"""The Evaluator's TFMA config: what a model must score before it is blessed.

Binary labels: AUC and binary accuracy must reach their bars and AUC must not fall behind the
latest blessed model. Class labels (more than two): sparse categorical accuracy plays both parts.
"""

from __future__ import annotations

import tensorflow_model_analysis as tfma

from components.contract import Contract, Label
from components.features import CONTRACT
from pipeline.config import Thresholds

OVERALL = [tfma.SlicingSpec()]


def _at_least(value: float, may_drop: float | None = None) -> tfma.MetricThreshold:
    threshold = tfma.MetricThreshold(
        value_threshold=tfma.GenericValueThreshold(lower_bound={"value": value})
    )
    if may_drop is not None:
        # Compared with the latest blessed model; ignored on the first run, when there is none.
        threshold.change_threshold.CopyFrom(
            tfma.GenericChangeThreshold(
                direction=tfma.MetricDirection.HIGHER_IS_BETTER, absolute={"value": -may_drop}
            )
        )
    return threshold


def _gated(class_name: str, threshold: tfma.MetricThreshold) -> tfma.MetricConfig:
    # Thresholds gate on the whole eval split only: a plain `threshold` would also apply to every
    # small per-slice sample, whose metrics are noise.
    return tfma.MetricConfig(
        class_name=class_name,
        per_slice_thresholds=[
            tfma.PerSliceMetricThreshold(slicing_specs=OVERALL, threshold=threshold)
        ],
    )


def gated_metrics(thresholds: Thresholds, label: Label) -> list[tfma.MetricConfig]:
    if label.is_binary:
        return [
            _gated("AUC", _at_least(thresholds.min_auc, thresholds.max_drop)),
            _gated("BinaryAccuracy", _at_least(thresholds.min_accuracy)),
        ]
    return [
        _gated("SparseCategoricalAccuracy", _at_least(thresholds.min_accuracy, thresholds.max_drop))
    ]


def eval_config(thresholds: Thresholds, contract: Contract = CONTRACT) -> tfma.EvalConfig:
    by = contract.slice_feature
    slices = [tfma.SlicingSpec(feature_keys=[by])] if by else []
    return tfma.EvalConfig(
        model_specs=[
            tfma.ModelSpec(
                signature_name="serving_default",
                prediction_key=contract.label.prediction_key,
                label_key=contract.label.name,
                # The label is made by Transform, so TFMA runs the exported Transform graph first.
                preprocessing_function_names=["transform_features"],
            )
        ],
        slicing_specs=OVERALL + slices,
        metrics_specs=[
            tfma.MetricsSpec(
                metrics=[
                    tfma.MetricConfig(class_name="ExampleCount"),
                    *gated_metrics(thresholds, contract.label),
                ]
            )
        ],
    )
