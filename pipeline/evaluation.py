"""The Evaluator's TFMA config: what a model must score before it is blessed."""

from __future__ import annotations

import tensorflow_model_analysis as tfma

from components import features as fc
from components.export import PREDICTION_KEY
from pipeline.config import Thresholds


def eval_config(thresholds: Thresholds) -> tfma.EvalConfig:
    auc = tfma.MetricThreshold(
        value_threshold=tfma.GenericValueThreshold(lower_bound={"value": thresholds.min_auc}),
        # Compared with the latest blessed model; ignored on the first run, when there is none.
        change_threshold=tfma.GenericChangeThreshold(
            direction=tfma.MetricDirection.HIGHER_IS_BETTER,
            absolute={"value": -thresholds.max_auc_drop},
        ),
    )
    accuracy = tfma.MetricThreshold(
        value_threshold=tfma.GenericValueThreshold(
            lower_bound={"value": thresholds.min_binary_accuracy}
        )
    )
    overall = [tfma.SlicingSpec()]
    return tfma.EvalConfig(
        model_specs=[
            tfma.ModelSpec(
                signature_name="serving_default",
                prediction_key=PREDICTION_KEY,
                label_key=fc.LABEL.name,
                # The label is made by Transform, so TFMA runs the exported Transform graph first.
                preprocessing_function_names=["transform_features"],
            )
        ],
        slicing_specs=overall + [tfma.SlicingSpec(feature_keys=[fc.SLICE_FEATURE])],
        metrics_specs=[
            tfma.MetricsSpec(
                metrics=[
                    tfma.MetricConfig(class_name="ExampleCount"),
                    # Thresholds gate on the whole eval split only: a plain `threshold` would also
                    # apply to every small per-slice sample, whose AUC is noise.
                    tfma.MetricConfig(
                        class_name="AUC",
                        per_slice_thresholds=[
                            tfma.PerSliceMetricThreshold(slicing_specs=overall, threshold=auc)
                        ],
                    ),
                    tfma.MetricConfig(
                        class_name="BinaryAccuracy",
                        per_slice_thresholds=[
                            tfma.PerSliceMetricThreshold(slicing_specs=overall, threshold=accuracy)
                        ],
                    ),
                ]
            )
        ],
    )
