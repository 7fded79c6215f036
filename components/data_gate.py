"""DataGate: stops the run when the data breaks its contract, before anything trains on it.

Stock TFX's ExampleValidator only records anomalies; Transform and Trainer go on regardless. The
gate fails its execution when ExampleValidator found anomalies in any split, or when the training
split drifted from the statistics of the last run that passed the gate (TFDV's drift comparators,
with thresholds kept in the schema). Transform is wired downstream of it, so a failed gate means
no Transform, no Trainer and no push. On success it republishes the statistics it passed, which
become the drift baseline of the next run.
"""

# No `from __future__ import annotations`: TFX reads this component's type hints at runtime.
import os

from tfx.dsl.component.experimental.annotations import InputArtifact, OutputArtifact, Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.types import artifact_utils
from tfx.types.artifact import Artifact
from tfx.types.standard_artifacts import ExampleAnomalies, ExampleStatistics, Schema
from tfx.utils import io_utils

_ANOMALIES_FILE = "SchemaDiff.pb"
_STATS_FILE = "FeatureStats.pb"
DRIFT_SPLIT = "train"
# A custom property of ValidatedStatistics: the URI of the statistics the drift check used.
DRIFT_BASELINE_KEY = "drift_baseline"


class ValidatedStatistics(Artifact):
    """Statistics of data that passed the gate. A type of its own, because Kubeflow compiles a
    Resolver into a query by artifact type only: the drift baseline must never be the statistics
    of data that failed. It holds ExampleStatistics files (Split-<name>/FeatureStats.pb) and no
    properties, which Kubeflow's compiler does not support on custom types."""

    # "<namespace>.<Name>", the only form TFX's Kubeflow compiler accepts for a type of our own,
    # and an importable path of this class: a task imports its artifacts' classes by it
    # (components/__init__.py).
    TYPE_NAME = "components.ValidatedStatistics"


class DataValidationError(RuntimeError):
    """The data does not meet the schema; the message lists each problem, separated by '; '."""


def describe(anomalies, where: str = "", present: "frozenset[str]" = frozenset()) -> "list[str]":
    """Plain-words lines, one per anomalous column: 'fare: unexpected string values (...)'.

    `present`: the columns the data has (in its statistics). TFDV calls a column whose every
    cell is empty "dropped"; when the file has it, the line says so instead."""
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    dropped = {
        anomalies_pb2.AnomalyInfo.FEATURE_TYPE_NOT_PRESENT,
        anomalies_pb2.AnomalyInfo.SCHEMA_MISSING_COLUMN,
    }
    lines = []
    suffix = f" [{where}]" if where else ""
    for column, info in sorted(anomalies.anomaly_info.items()):
        reasons = info.reason or [info]
        for reason in reasons:
            detail = reason.description.rstrip(".")
            short = reason.short_description.lower()
            if reason.type in dropped and column in present:
                short, detail = "no values", "the column is there, but every cell is empty"
            lines.append(f"{column}: {short} ({detail}){suffix}")
    if anomalies.HasField("dataset_anomaly_info"):
        for reason in anomalies.dataset_anomaly_info.reason:
            lines.append(
                f"whole dataset: {reason.short_description.lower()} "
                f"({reason.description.rstrip('.')}){suffix}"
            )
    return lines


def _read_anomalies(uri: str, split: str):
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    anomalies = anomalies_pb2.Anomalies()
    anomalies.ParseFromString(
        io_utils.read_bytes_file(os.path.join(uri, f"Split-{split}", _ANOMALIES_FILE))
    )
    return anomalies


def _read_stats(uri: str, split: str):
    import tensorflow_data_validation as tfdv

    return tfdv.load_stats_binary(os.path.join(uri, f"Split-{split}", _STATS_FILE))


def drift_anomalies(schema, current, baseline):
    """Only the distribution-shift findings of TFDV for `current` against `baseline`."""
    import tensorflow_data_validation as tfdv

    anomalies = tfdv.validate_statistics(current, schema, previous_statistics=baseline)
    drift_types = {
        "COMPARATOR_L_INFTY_HIGH",
        "COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH",
        "COMPARATOR_NORMALIZED_ABSOLUTE_DIFFERENCE_HIGH",
    }
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    kept = anomalies_pb2.Anomalies()
    for column, info in anomalies.anomaly_info.items():
        reasons = [
            r for r in info.reason if anomalies_pb2.AnomalyInfo.Type.Name(r.type) in drift_types
        ]
        if reasons:
            kept.anomaly_info[column].CopyFrom(info)
            del kept.anomaly_info[column].reason[:]
            kept.anomaly_info[column].reason.extend(reasons)
    return kept


@component
def DataGate(
    anomalies: InputArtifact[ExampleAnomalies],
    statistics: InputArtifact[ExampleStatistics],
    schema: InputArtifact[Schema],
    validated_statistics: OutputArtifact[ValidatedStatistics],
    baseline_statistics: InputArtifact[ValidatedStatistics] = None,  # optional: TFX's form
    code_version: Parameter[str] = "",  # keys the cache only (pipeline/code_version.py)
    # --target kfp: no resolver task feeds `baseline_statistics`; this pipeline's newest in the
    # cluster's ML Metadata is the baseline (components/metadata_baselines.py).
    baseline_from_pipeline: Parameter[str] = "",
) -> None:
    from tensorflow_metadata.proto.v0 import schema_pb2

    if baseline_statistics is None and baseline_from_pipeline:
        from components import metadata_baselines

        baseline_statistics = metadata_baselines.latest_validated_statistics(
            metadata_baselines.connect(), baseline_from_pipeline, ValidatedStatistics
        )

    # The same problem in several splits is reported once, naming the splits.
    splits_by_problem: dict = {}
    for split in artifact_utils.decode_split_names(anomalies.split_names):
        stats = _read_stats(statistics.uri, split)
        present = frozenset(".".join(f.path.step) for f in stats.datasets[0].features)
        for problem in describe(_read_anomalies(anomalies.uri, split), present=present):
            splits_by_problem.setdefault(problem, []).append(split)
    problems = [f"{p} [{', '.join(s)}]" for p, s in splits_by_problem.items()]

    schema_proto = io_utils.parse_pbtxt_file(
        os.path.join(schema.uri, "schema.pbtxt"), schema_pb2.Schema()
    )
    splits = artifact_utils.decode_split_names(statistics.split_names)
    if baseline_statistics is not None and DRIFT_SPLIT in splits:
        # Which data this run was compared with, for lineage on any orchestrator.
        validated_statistics.set_string_custom_property(DRIFT_BASELINE_KEY, baseline_statistics.uri)
        drift = drift_anomalies(
            schema_proto,
            _read_stats(statistics.uri, DRIFT_SPLIT),
            _read_stats(baseline_statistics.uri, DRIFT_SPLIT),
        )
        problems += describe(drift, where="drift from the last validated data")
    if problems:
        raise DataValidationError("; ".join(problems))

    io_utils.copy_dir(statistics.uri, validated_statistics.uri)
