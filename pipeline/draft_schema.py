"""`schema --data DIR --label COLUMN`: drafts `schema.pbtxt` (TFDV's inference, curated the way the
bundled schema is) and a feature contract (`features.py`) from a new CSV, for the user to review.

The draft runs as is; the user's knowledge improves it: which integers are categories, which
columns are ids to leave out, ranges and drift thresholds (see the README's "Use your own data").
"""

from __future__ import annotations

import csv
from pathlib import Path

from pipeline.config import InputError

# A label with more distinct values than this is not a class label (regression is not built in).
MAX_CLASSES = 50
# Integer columns within [0, this) become their own ids (IDENTITY); larger ones stay numeric.
MAX_IDENTITY = 100
MAX_VOCABULARY = 1000


def _csv_files(data_dir: Path) -> list[Path]:
    files = sorted(data_dir.glob("*.csv"))
    if not files:
        raise InputError(f"no .csv files in {data_dir}")
    return files


def _label_values(files: list[Path], label: str) -> list[str]:
    values: set[str] = set()
    for path in files:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            if label not in (reader.fieldnames or []):
                columns = ", ".join(reader.fieldnames or [])
                raise InputError(f"label column {label!r} is not in {path.name} ({columns})")
            values.update(row[label] for row in reader if row[label] != "")
            if len(values) > MAX_CLASSES:
                raise InputError(
                    f"label column {label!r} has more than {MAX_CLASSES} distinct values; "
                    "a class label is expected"
                )
    if len(values) < 2:
        raise InputError(f"label column {label!r} needs at least two distinct values")
    numeric = all(v.lstrip("-").isdigit() for v in values)
    return sorted(values, key=int) if numeric else sorted(values)


def _curate(schema, stats, label: str) -> None:
    """What the bundled schema does by hand: optional columns hold at most one value with no
    minimum (CsvExampleGen writes an empty cell as an empty list); the label is absent when
    serving; integer columns get the range seen."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    numeric = {".".join(f.path.step): f.num_stats for f in stats.datasets[0].features}
    schema.ClearField("default_environment")
    schema.default_environment.extend(["TRAINING", "SERVING"])
    for feature in schema.feature:
        if not feature.HasField("shape"):
            feature.value_count.Clear()
            feature.value_count.max = 1
            feature.presence.ClearField("min_fraction")
        if feature.type == schema_pb2.INT and feature.name in numeric:
            feature.int_domain.min = int(numeric[feature.name].min)
            feature.int_domain.max = int(numeric[feature.name].max)
        if feature.name == label:
            feature.not_in_environment.append("SERVING")


def _feature_line(column, rows: int) -> tuple[str, str]:
    """('feature' | 'unused', source line) for one column's statistics."""
    from tensorflow_metadata.proto.v0 import statistics_pb2

    name = ".".join(column.path.step)
    kind = statistics_pb2.FeatureNameStatistics
    if column.type == kind.STRING:
        unique = column.string_stats.unique
        if unique >= 0.9 * rows:
            return "unused", f"    {name!r},  # {unique} distinct values in {rows} rows: an id?"
        size = min(unique, MAX_VOCABULARY)
        return "feature", (
            f'    Feature("{name}", Kind.VOCAB, Dtype.STRING, size={size}, oov_buckets=1),'
        )
    if column.type == kind.INT:
        low, high = column.num_stats.min, column.num_stats.max
        if low >= 0 and high < MAX_IDENTITY:
            return "feature", (
                f'    Feature("{name}", Kind.IDENTITY, Dtype.INT, size={int(high) + 1}),'
                "  # a category, or a quantity (Kind.DENSE)?"
            )
        return "feature", f'    Feature("{name}", Kind.DENSE, Dtype.INT),'
    return "feature", f'    Feature("{name}", Kind.DENSE, Dtype.FLOAT),'


def _contract_source(stats, label: str, classes: list[str], source: str) -> str:
    rows = int(stats.datasets[0].num_examples)
    features, unused, slice_feature = [], [], None
    for column in stats.datasets[0].features:
        name = ".".join(column.path.step)
        if name == label:
            continue
        where, line = _feature_line(column, rows)
        (features if where == "feature" else unused).append(line)
        if where == "feature" and slice_feature is None and "VOCAB" in line:
            slice_feature = name
    class_list = ", ".join(repr(c) for c in classes)
    return "\n".join(
        [
            f'"""Feature contract drafted by `python -m pipeline schema` from {source}.',
            "",
            "Review every line: the kinds were guessed from statistics alone.",
            '"""',
            "",
            "from __future__ import annotations",
            "",
            "from components.contract import Contract, Dtype, Feature, Kind, Label",
            "",
            "FEATURES: tuple[Feature, ...] = (",
            *features,
            ")",
            "",
            f"# The classes in class-id order ({len(classes)} seen in the data).",
            f'LABEL = Label(name="{label}", classes=({class_list},))',
            "",
            "UNUSED_COLUMNS: tuple[str, ...] = (",
            *unused,
            ")",
            "",
            f"SLICE_FEATURE: str | None = {slice_feature!r}",
            "",
            "",
            "CONTRACT = Contract(FEATURES, LABEL, UNUSED_COLUMNS, SLICE_FEATURE)",
            "transformed_name = CONTRACT.transformed_name",
            "feature = CONTRACT.feature",
            "raw_columns = CONTRACT.raw_columns",
            "label_only_columns = CONTRACT.label_only_columns",
            "serving_columns = CONTRACT.serving_columns",
            "",
        ]
    )


def draft(data_dir: Path, label: str, out: Path) -> list[Path]:
    """Writes `out/schema.pbtxt` and `out/features.py`; returns their paths."""
    if not data_dir.is_dir():
        raise InputError(f"data directory {data_dir} does not exist")
    files = _csv_files(data_dir)
    classes = _label_values(files, label)

    import tensorflow_data_validation as tfdv
    from google.protobuf import text_format

    stats = tfdv.generate_statistics_from_csv(data_location=str(data_dir / "*.csv"))
    schema = tfdv.infer_schema(stats, infer_feature_shape=True)
    _curate(schema, stats, label)

    out.mkdir(parents=True, exist_ok=True)
    schema_file, contract_file = out / "schema.pbtxt", out / "features.py"
    schema_file.write_text(
        f"# Drafted by `python -m pipeline schema` from {data_dir} (TFDV inference, then the\n"
        "# curation the bundled schema has). Review the domains; add drift comparators.\n"
        + text_format.MessageToString(schema)
    )
    contract_file.write_text(_contract_source(stats, label, classes, data_dir.name))
    return [schema_file, contract_file]
