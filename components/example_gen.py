"""CsvExampleGen with a reader for CSV files as users have them (`components/csv_files.py`).

TFX's own CsvExampleGen takes its column names from the raw first line (a byte-order mark or
quotes become part of the first name), splits on commas only, ignores `.csv.gz`, and reports a
short row as "Columns do not match specified csv headers" without file or line. This one keeps
its contract for plain files, example for example: the same tf.Examples (an empty cell is an
empty value list of the column's type), the same split by hash, the same per-split type
inference (INT, else FLOAT, else STRING, over all values), with one addition: a column the
feature contract types (`column_types`) is read as that type when every value fits it, so an
INT column that pandas wrote as `5.0` (it does once the column has a missing value) stays INT.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable

import apache_beam as beam
import tensorflow as tf
from google.protobuf import any_pb2, json_format, struct_pb2
from tfx.components.example_gen.base_example_gen_executor import BaseExampleGenExecutor
from tfx.components.example_gen.component import FileBasedExampleGen
from tfx.dsl.components.base import executor_spec
from tfx.dsl.io import fileio
from tfx.proto import example_gen_pb2
from tfx.types import standard_component_specs

from components.csv_files import CsvFormatError, is_data_file, read_layout, read_rows, same_columns
from components.hparams import CODE_VERSION

_INT64 = (-(2**63), 2**63 - 1)
# Inferred types, ordered so that a column takes the highest of its values'.
UNKNOWN, INT, FLOAT, STRING = range(4)
TYPE_NAMES = {"INT": INT, "FLOAT": FLOAT, "STRING": STRING}


def _value_type(cell: str) -> tuple[int, bool]:
    """(type of one cell, whether it is a whole number that fits int64), as TFX infers it."""
    if not cell:
        return UNKNOWN, True
    try:
        return (INT, True) if _INT64[0] <= int(cell) <= _INT64[1] else (STRING, False)
    except ValueError:
        try:
            number = float(cell)
        except ValueError:
            return STRING, False
        return FLOAT, number.is_integer() and _INT64[0] <= number <= _INT64[1]


class _InferTypes(beam.CombineFn):
    """Per column: the highest inferred type and whether every value is a whole number."""

    def __init__(self, width: int):
        self._width = width

    def create_accumulator(self):
        return [[UNKNOWN, True] for _ in range(self._width)]

    def add_input(self, acc, cells):
        for state, cell in zip(acc, cells, strict=True):
            kind, whole = _value_type(cell)
            state[0] = max(state[0], kind)
            state[1] = state[1] and whole
        return acc

    def merge_accumulators(self, accumulators):
        merged = self.create_accumulator()
        for acc in accumulators:
            for state, other in zip(merged, acc, strict=True):
                state[0] = max(state[0], other[0])
                state[1] = state[1] and other[1]
        return merged

    def extract_output(self, acc):
        return acc


def column_type(inferred: int, whole: bool, declared: int | None) -> int:
    """The type a column is written as: the contract's where every value fits it, else TFX's
    inference (so a stray string still reaches the schema check as a STRING column)."""
    if declared == INT and (inferred == INT or (inferred == FLOAT and whole)):
        return INT
    if declared == FLOAT and inferred in (INT, FLOAT):
        return FLOAT
    if declared == STRING and inferred != UNKNOWN:
        return STRING
    return inferred


def _int_feature(cell: str) -> tf.train.Feature:
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[_to_int(cell)] if cell else []))


def _float_feature(cell: str) -> tf.train.Feature:
    return tf.train.Feature(float_list=tf.train.FloatList(value=[float(cell)] if cell else []))


def _bytes_feature(cell: str) -> tf.train.Feature:
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[cell.encode()] if cell else []))


def _no_feature(cell: str) -> tf.train.Feature:
    return tf.train.Feature()


_HANDLERS = {INT: _int_feature, FLOAT: _float_feature, STRING: _bytes_feature, UNKNOWN: _no_feature}


def to_feature(kind: int, cell: str) -> tf.train.Feature:
    """One cell as a feature of type `kind` (INT, FLOAT, STRING): how CsvExampleGen writes it,
    for anything that must make the same tf.Examples (batch inference). ValueError if the
    cell is not of that type."""
    return _HANDLERS[kind](cell)


def _to_int(cell: str) -> int:
    try:
        return int(cell)
    except ValueError:
        return int(float(cell))  # "5.0": checked whole by the inference


class _ToExample(beam.DoFn):
    def __init__(self, names: tuple[str, ...], declared: dict[str, int]):
        self._names = names
        self._declared = declared
        self._handlers = None

    def process(self, cells: list[str], inferred) -> Iterable[tf.train.Example]:
        if self._handlers is None:  # the types are one side input for the whole split
            self._handlers = [
                (name, _HANDLERS[column_type(kind, whole, self._declared.get(name))])
                for name, (kind, whole) in zip(self._names, inferred, strict=True)
            ]
        feature = {
            name: handler(cell) for (name, handler), cell in zip(self._handlers, cells, strict=True)
        }
        yield tf.train.Example(features=tf.train.Features(feature=feature))


class _ReadRows(beam.DoFn):
    def __init__(self, order: tuple[str, ...]):
        self._order = order

    def process(self, path: str) -> Iterable[list[str]]:
        yield from read_rows(read_layout(path), self._order)


def declared_types(exec_properties: dict) -> dict[str, int]:
    """The contract's column types from the component's custom_config."""
    raw = exec_properties.get(standard_component_specs.CUSTOM_CONFIG_KEY)
    if not raw:
        return {}
    config = example_gen_pb2.CustomConfig()
    json_format.Parse(raw, config)
    struct = struct_pb2.Struct()
    config.custom_config.Unpack(struct)
    types = json.loads(struct["column_types"]) if "column_types" in struct else {}
    return {name: TYPE_NAMES[t] for name, t in types.items()}


class _CsvToExample(beam.PTransform):
    """One split's CSV files -> tf.Examples (the PTransform BaseExampleGenExecutor asks for)."""

    def __init__(self, exec_properties: dict, split_pattern: str):
        super().__init__()
        base = exec_properties[standard_component_specs.INPUT_BASE_KEY]
        self._pattern = os.path.join(base, split_pattern)
        self._declared = declared_types(exec_properties)

    def expand(self, pipeline):
        files = sorted(f for f in fileio.glob(self._pattern) if is_data_file(f))
        if not files:
            raise CsvFormatError(f"no .csv or .csv.gz file matches {self._pattern}")
        layouts = [read_layout(f) for f in files]
        same_columns(layouts)
        # The first file's column order: TFX's, so a plain file's examples are unchanged.
        names = layouts[0].columns
        rows = pipeline | "Files" >> beam.Create(files) | "ReadRows" >> beam.ParDo(_ReadRows(names))
        inferred = beam.pvalue.AsSingleton(
            rows | "InferTypes" >> beam.CombineGlobally(_InferTypes(len(names)))
        )
        return rows | "ToExample" >> beam.ParDo(_ToExample(names, self._declared), inferred)


class Executor(BaseExampleGenExecutor):
    def GetInputSourceToExamplePTransform(self) -> beam.PTransform:
        return _CsvToExample


def _custom_config(
    column_types: dict[str, str], code_version: str = ""
) -> example_gen_pb2.CustomConfig:
    struct = struct_pb2.Struct()
    struct["column_types"] = json.dumps(column_types, sort_keys=True)
    struct[CODE_VERSION] = code_version  # keys the cache only (pipeline/code_version.py)
    packed = any_pb2.Any()
    packed.Pack(struct)
    return example_gen_pb2.CustomConfig(custom_config=packed)


class CsvExampleGen(FileBasedExampleGen):
    """TFX's FileBasedExampleGen with the reader above; `column_types` maps column names to
    "INT", "FLOAT" or "STRING" (the feature contract's `column_types()`)."""

    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(Executor)

    def __init__(
        self,
        input_base: str,
        output_config: example_gen_pb2.Output,
        column_types: dict[str, str],
        split_pattern: str,
        code_version: str = "",
    ):
        super().__init__(
            input_base=input_base,
            input_config=example_gen_pb2.Input(
                splits=[example_gen_pb2.Input.Split(name="single_split", pattern=split_pattern)]
            ),
            output_config=output_config,
            custom_config=_custom_config(column_types, code_version),
        )
