"""CsvExampleGen with a reader for CSV files as users have them (`components/csv_files.py`).

TFX's own CsvExampleGen takes its column names from the raw first line (a byte-order mark or
quotes become part of the first name), splits on commas only, ignores `.csv.gz`, and reports a
short row as "Columns do not match specified csv headers" without file or line. This one keeps
its contract for plain files, example for example: the same tf.Examples (an empty cell is an
empty value list of the column's type), the same split by hash, the same per-split type
inference (INT, else FLOAT, else STRING, over all values), with one addition: a column the
feature contract types (`column_types`) is read as that type when every value fits it, so an
INT column that pandas wrote as `5.0` (it does once the column has a missing value) stays INT.

The Beam stages read, type and encode a record batch at a time (`components/csv_batches.py`: Arrow
and tfx_bsl's encoder, with the per-cell rules they must agree with); `to_feature` below is the
same encoding cell by cell, for batch inference.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable

import apache_beam as beam
import pyarrow as pa
import tensorflow as tf
from google.protobuf import any_pb2, json_format, struct_pb2
from tfx.components.example_gen import utils as example_gen_utils
from tfx.components.example_gen import write_split
from tfx.components.example_gen.base_example_gen_executor import (
    BaseExampleGenExecutor,
    _PartitionFn,
)
from tfx.components.example_gen.component import FileBasedExampleGen
from tfx.components.util import examples_utils
from tfx.dsl.components.base import executor_spec
from tfx.dsl.io import fileio
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import proto_utils

from components import csv_batches
from components.csv_batches import FLOAT, INT, STRING, UNKNOWN, to_int
from components.csv_files import (
    INPUT_SPLIT,
    CsvFormatError,
    is_data_file,
    read_layout,
    same_columns,
)
from components.hparams import CODE_VERSION

TYPE_NAMES = {"INT": INT, "FLOAT": FLOAT, "STRING": STRING}


class _InferTypes(beam.CombineFn):
    """Per column: the highest inferred type and whether every value is a whole number, over
    record batches of string cells."""

    def __init__(self, names: tuple[str, ...]):
        self._names = names

    def create_accumulator(self):
        return [[UNKNOWN, True] for _ in self._names]

    def add_input(self, acc, batch):
        for state, name in zip(acc, self._names, strict=True):
            if state[0] == STRING:
                continue  # nothing can raise it further
            kind, whole = csv_batches.infer(batch.column(name))
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
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[to_int(cell)] if cell else []))


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


class _ToExamples(beam.DoFn):
    """A record batch of cells -> a list of serialized tf.Examples, serialized deterministically
    as TFX's split hashes them (tfx_bsl's encoder orders features arbitrarily)."""

    def __init__(self, names: tuple[str, ...], declared: dict[str, int]):
        self._names = names
        self._declared = declared
        self._kinds = None

    def process(self, batch, inferred) -> Iterable[list[bytes]]:
        from tfx_bsl.coders.example_coder import RecordBatchToExamples

        if self._kinds is None:  # the types are one side input for the whole split
            self._kinds = [
                column_type(kind, whole, self._declared.get(name))
                for name, (kind, whole) in zip(self._names, inferred, strict=True)
            ]
        columns = [
            csv_batches.encode_column(batch.column(name), kind)
            for name, kind in zip(self._names, self._kinds, strict=True)
        ]
        encoded = RecordBatchToExamples(pa.RecordBatch.from_arrays(columns, self._names))
        parse = tf.train.Example.FromString
        yield [parse(example).SerializeToString(deterministic=True) for example in encoded]


class _SplitBatch(beam.DoFn):
    """A list of examples -> (split index, its examples) per split, by TFX's own hash split."""

    def __init__(self, split_config: example_gen_pb2.SplitConfig):
        self._config = split_config
        self._buckets = list(itertools.accumulate(s.hash_buckets for s in split_config.splits))

    def process(self, examples: list[bytes]) -> Iterable[tuple[int, list[bytes]]]:
        parts: list[list[bytes]] = [[] for _ in self._buckets]
        n = len(self._buckets)
        for example in examples:
            parts[_PartitionFn(example, n, self._buckets, self._config)].append(example)
        yield from ((i, part) for i, part in enumerate(parts) if part)


class _ReadBatches(beam.DoFn):
    def __init__(self, order: tuple[str, ...]):
        self._order = order

    def process(self, path: str) -> Iterable[pa.RecordBatch]:
        yield from csv_batches.read_batches(read_layout(path), self._order)


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


class _ExampleBatches(beam.PTransform):
    """One split's CSV files -> lists of serialized tf.Examples, one list per batch of rows."""

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
        paths = pipeline | "Files" >> beam.Create(files)
        # Each file is read twice, to infer the types and then to encode with them: parsing is
        # ~1 s per million rows, and Beam would otherwise hold every row between the passes.
        inferred = beam.pvalue.AsSingleton(
            paths
            | "ReadToInfer" >> beam.ParDo(_ReadBatches(names))
            | "InferTypes" >> beam.CombineGlobally(_InferTypes(names))
        )
        return (
            paths
            | "ReadRows" >> beam.ParDo(_ReadBatches(names))
            | "ToExample" >> beam.ParDo(_ToExamples(names, self._declared), inferred)
        )


class _CsvToExample(beam.PTransform):
    """One split's CSV files -> serialized tf.Examples (the PTransform BaseExampleGenExecutor
    asks for)."""

    def __init__(self, exec_properties: dict, split_pattern: str):
        super().__init__()
        self._batches = _ExampleBatches(exec_properties, split_pattern)

    def expand(self, pipeline):
        return pipeline | self._batches | "Examples" >> beam.FlatMap(lambda examples: examples)


def _direct(beam_args: list[str] | None) -> bool:
    from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

    runner = PipelineOptions(beam_args or []).view_as(StandardOptions).runner
    return runner is None or runner.lower().replace("runner", "") in ("direct", "switchingdirect")


class Executor(BaseExampleGenExecutor):
    """TFX's executor, but for the usual case (one input split hashed whole into output splits,
    gzipped TFRecords) examples travel in lists through the split and the shuffle before the
    write: TFX moves each example alone through Beam's data plane there, ~20 s of a million rows
    here. On the DirectRunner the shuffle is left out: there it does not change the order (the
    files hold the rows in CSV order either way) and holds every example in memory, which made
    ExampleGen the run's memory peak (docs/benchmarks.md); on a cluster it spreads the writing
    over the workers. The files, split names and properties are those TFX's `Do` writes."""

    def GetInputSourceToExamplePTransform(self) -> beam.PTransform:
        return _CsvToExample

    def Do(self, input_dict, output_dict, exec_properties) -> None:
        inputs, outputs = example_gen_pb2.Input(), example_gen_pb2.Output()
        proto_utils.json_to_proto(
            exec_properties[standard_component_specs.INPUT_CONFIG_KEY], inputs
        )
        proto_utils.json_to_proto(
            exec_properties[standard_component_specs.OUTPUT_CONFIG_KEY], outputs
        )
        file_format = exec_properties.get(
            standard_component_specs.OUTPUT_FILE_FORMAT_KEY, example_gen_pb2.FILE_FORMAT_UNSPECIFIED
        )
        gzipped = file_format in (
            example_gen_pb2.FILE_FORMAT_UNSPECIFIED,
            example_gen_pb2.FORMAT_TFRECORDS_GZIP,
        )
        split = outputs.split_config
        by_hash = split.splits and not split.HasField("partition_feature_name")
        if len(inputs.splits) != 1 or not by_hash or not gzipped:
            return super().Do(input_dict, output_dict, exec_properties)

        self._log_startup(input_dict, output_dict, exec_properties)
        examples = output_dict[standard_component_specs.EXAMPLES_KEY]
        names = example_gen_utils.generate_output_split_names(inputs, outputs)
        artifact_utils.get_single_instance(
            examples
        ).split_names = artifact_utils.encode_split_names(names)
        with self._make_beam_pipeline() as pipeline:
            parts = (
                pipeline
                | "InputToRecord" >> _ExampleBatches(exec_properties, inputs.splits[0].pattern)
                | "SplitData" >> beam.ParDo(_SplitBatch(outputs.split_config))
                | "BySplit" >> beam.Partition(lambda part, _: part[0], len(names))
            )
            shuffle = not _direct(self._beam_pipeline_args)
            for name, part in zip(names, parts, strict=True):
                uri = artifact_utils.get_split_uri(examples, name)
                if shuffle:
                    part = part | f"Shuffle[{name}]" >> beam.Reshuffle()
                _ = (
                    part
                    | f"Examples[{name}]" >> beam.FlatMap(lambda part: part[1])
                    | f"WriteSplit[{name}]"
                    >> beam.io.WriteToTFRecord(
                        os.path.join(uri, write_split.DEFAULT_FILE_NAME), file_name_suffix=".gz"
                    )
                )
        payload = exec_properties.get(standard_component_specs.OUTPUT_DATA_FORMAT_KEY)
        for artifact in examples:
            if payload:
                examples_utils.set_payload_format(artifact, payload)
            if file_format:
                file_format_name = write_split.to_file_format_str(file_format)
                examples_utils.set_file_format(artifact, file_format_name)


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
                splits=[example_gen_pb2.Input.Split(name=INPUT_SPLIT, pattern=split_pattern)]
            ),
            output_config=output_config,
            custom_config=_custom_config(column_types, code_version),
        )
