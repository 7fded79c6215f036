"""The id of every node of the DAG, defined once.

The factory gives each component its id from here, and everything that reads a run back (summary,
report, inspect, benchmark, tests) looks nodes up by the same constants, so renaming a node
cannot make a reader silently report it as "did not run". The ids are what ML Metadata, the
Kubeflow UI and the progress lines show, so they read as the stage and its role.
"""

from __future__ import annotations

EXAMPLE_GEN = "CsvExampleGen"
SPAN_WINDOW = "latest_spans_resolver"
STATISTICS_GEN = "StatisticsGen"
SCHEMA_GEN = "ImportSchemaGen"
EXAMPLE_VALIDATOR = "ExampleValidator"
STATISTICS_RESOLVER = "latest_validated_statistics_resolver"
DATA_GATE = "DataGate"
TRANSFORM = "Transform"
TUNER = "Tuner"
TRAINER = "Trainer"
MODEL_RESOLVER = "latest_blessed_model_resolver"
EVALUATOR = "Evaluator"
SERVING_CHECK = "ServingCheck"
PUSHER = "Pusher"
BATCH_INFERENCE = "BatchInference"

# Every node, in the order the factory creates them (OPTIONAL ones only when asked for).
ALL: tuple[str, ...] = (
    EXAMPLE_GEN,
    SPAN_WINDOW,
    STATISTICS_GEN,
    SCHEMA_GEN,
    EXAMPLE_VALIDATOR,
    STATISTICS_RESOLVER,
    DATA_GATE,
    TRANSFORM,
    TUNER,
    TRAINER,
    MODEL_RESOLVER,
    EVALUATOR,
    SERVING_CHECK,
    PUSHER,
    BATCH_INFERENCE,
)
RESOLVERS: tuple[str, ...] = (SPAN_WINDOW, STATISTICS_RESOLVER, MODEL_RESOLVER)
# Nodes only some runs have (span folders, `run --tune`, `run --predict-data`).
OPTIONAL: tuple[str, ...] = (SPAN_WINDOW, TUNER, BATCH_INFERENCE)
