"""`schema --data DIR --label COLUMN`: drafts `schema.pbtxt` (TFDV's inference, curated the way the
bundled schema is) and a feature contract (`features.py`) from a new CSV, for the user to review.

The draft runs as is; the user's knowledge improves it: which integers are categories, which
columns are ids to leave out, ranges and drift thresholds (see the README's "Use your own data").
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from components.contract import Contract, Dtype, Feature, Kind, Label
from pipeline.errors import InputError

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
    serving; integer columns get the range seen; float columns reject NaN and infinities."""
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
        if feature.type == schema_pb2.FLOAT:
            feature.float_domain.disallow_nan = True
            feature.float_domain.disallow_inf = True
        if feature.name == label:
            feature.not_in_environment.append("SERVING")


def _guess(column, rows: int) -> tuple[Feature | None, str]:
    """The contract's Feature for one column's statistics (None: an id to leave out), and a
    remark for the reviewer."""
    from tensorflow_metadata.proto.v0 import statistics_pb2

    name = ".".join(column.path.step)
    kind = statistics_pb2.FeatureNameStatistics
    if column.type == kind.STRING:
        unique = column.string_stats.unique
        if unique >= 0.9 * rows:
            return None, f"{unique} distinct values in {rows} rows: an id?"
        size = min(unique, MAX_VOCABULARY)
        return Feature(name, Kind.VOCAB, Dtype.STRING, size=size, oov_buckets=1), ""
    if column.type == kind.INT:
        low, high = column.num_stats.min, column.num_stats.max
        if low >= 0 and high < MAX_IDENTITY:
            remark = f"a category, or a quantity (Kind.{Kind.DENSE.name})?"
            return Feature(name, Kind.IDENTITY, Dtype.INT, size=int(high) + 1), remark
        return Feature(name, Kind.DENSE, Dtype.INT), ""
    return Feature(name, Kind.DENSE, Dtype.FLOAT), ""


def _source(feature: Feature) -> str:
    """The Python expression that builds `feature`, written with the contract's own names."""
    args = [_quoted(feature.name), f"Kind.{feature.kind.name}", f"Dtype.{feature.dtype.name}"]
    args += [f"size={feature.size}"] if feature.size else []
    args += [f"oov_buckets={feature.oov_buckets}"] if feature.oov_buckets else []
    return f"{Feature.__name__}({', '.join(args)})"


def _quoted(text: str) -> str:
    # A double-quoted Python string literal, as the project's formatter writes them.
    return json.dumps(text, ensure_ascii=False)


def _commented(line: str, remark: str) -> str:
    return f"    {line},  # {remark}" if remark else f"    {line},"


def _contract_source(stats, label: Label, source: str) -> str:
    rows = int(stats.datasets[0].num_examples)
    features: list[Feature] = []
    lines, unused = [], []
    for column in stats.datasets[0].features:
        name = ".".join(column.path.step)
        if name == label.name:
            continue
        feature, remark = _guess(column, rows)
        if feature is None:
            unused.append(_commented(_quoted(name), remark))
        else:
            features.append(feature)
            lines.append(_commented(_source(feature), remark))
    # Metrics per value of the first vocabulary column, a natural slice to review.
    slice_feature = next((f.name for f in features if f.kind is Kind.VOCAB), None)
    types = ", ".join(t.__name__ for t in (Contract, Dtype, Feature, Kind, Label))
    return "\n".join(
        [
            f'"""Feature contract drafted by `python -m pipeline schema` from {source}.',
            "",
            "Review every line: the kinds were guessed from statistics alone.",
            '"""',
            "",
            "from __future__ import annotations",
            "",
            f"from {Contract.__module__} import {types}",
            "",
            f"FEATURES: tuple[{Feature.__name__}, ...] = (",
            *lines,
            ")",
            "",
            f"# The classes in class-id order ({label.num_classes} seen in the data).",
            f"LABEL = {Label.__name__}(name={_quoted(label.name)}, "
            f"classes=({''.join(_quoted(c) + ', ' for c in label.classes).rstrip()}))",
            "",
            "UNUSED_COLUMNS: tuple[str, ...] = (",
            *unused,
            ")",
            "",
            f"SLICE_FEATURE: str | None = {_quoted(slice_feature) if slice_feature else None}",
            "",
            "",
            f"CONTRACT = {Contract.__name__}(FEATURES, LABEL, UNUSED_COLUMNS, SLICE_FEATURE)",
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
    label_spec = Label(name=label, classes=tuple(classes))
    contract_file.write_text(_contract_source(stats, label_spec, data_dir.name))
    return [schema_file, contract_file]
