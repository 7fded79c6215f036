"""Batch inference: CSV rows in, one CSV line of class probabilities per row out, as a Beam
pipeline (Beam's RunInference), so the same code scores a folder here or a bucket on Dataflow.

Rows become tf.Examples exactly as CsvExampleGen makes them (the contract's column types, an empty
cell is an empty feature) and go through the pushed SavedModel's `serving_default`, the same
signature TF Serving calls, so a batch score equals a served score. Beam's TensorFlow model
handlers load Keras models or tensors; ours sends serialized tf.Examples to a signature.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from pathlib import PurePath

import apache_beam as beam
from apache_beam.ml.inference.base import ModelHandler, RunInference

from components.contract import Contract
from components.csv_files import CsvFormatError, read_layout, read_rows
from components.example_gen import TYPE_NAMES, to_feature
from components.features import CONTRACT
from components.serving_result import SERVING_INPUT, SIGNATURE, tf_error_reason

Key = tuple[str, ...]  # file, row number, then the key columns' cells


def output_header(contract: Contract, keys: Sequence[str]) -> list[str]:
    """file, row (1 = the first data row), the key columns, then the probabilities: of the
    positive class for a binary label, else one column per class."""
    label = contract.label
    if label.is_binary:
        probabilities = [label.prediction_key]
    else:
        probabilities = [f"{label.prediction_key}_{c}" for c in label.classes]
    return ["file", "row", *keys, *probabilities]


def missing_columns(columns: Iterable[str], keys: Sequence[str], contract: Contract) -> list[str]:
    """What a file lacks that scoring needs: the model's features and the key columns."""
    return sorted((contract.serving_columns() | set(keys)) - set(columns))


class _ToRequests(beam.DoFn):
    """A CSV file -> (key, serialized tf.Example of the serving columns) per data row."""

    def __init__(self, keys: Sequence[str], contract: Contract):
        self._keys = tuple(keys)
        self._features = tuple(sorted(contract.serving_columns()))
        self._types = {f.name: TYPE_NAMES[f.dtype.name] for f in contract.features}

    def process(self, path: str) -> Iterator[tuple[Key, bytes]]:
        import tensorflow as tf

        name = PurePath(path).name
        order = self._keys + self._features
        for row, cells in enumerate(read_rows(read_layout(path), order), start=1):
            feature = {}
            for column, cell in zip(self._features, cells[len(self._keys) :], strict=True):
                try:
                    feature[column] = to_feature(self._types[column], cell.strip())
                except ValueError:
                    kind = next(k for k, v in TYPE_NAMES.items() if v == self._types[column])
                    raise CsvFormatError(
                        f"data file {name} row {row}: {column} {cell!r} is not {kind}"
                    ) from None
            example = tf.train.Example(features=tf.train.Features(feature=feature))
            yield (name, str(row), *cells[: len(self._keys)]), example.SerializeToString()


class SavedModelHandler(ModelHandler):
    """RunInference's model handler for a SavedModel signature that takes serialized
    tf.Examples; elements are (key, example) so a rejected row can be named."""

    def __init__(self, model_dir: str, output_key: str):
        self._model_dir = model_dir
        self._output_key = output_key

    def load_model(self):
        import tensorflow as tf

        return tf.saved_model.load(self._model_dir)

    def run_inference(self, batch, model, inference_args=None) -> Iterable[tuple[Key, list]]:
        import tensorflow as tf

        serve = model.signatures[SIGNATURE]
        try:
            scores = serve(**{SERVING_INPUT: tf.constant([e for _, e in batch])})
        except tf.errors.InvalidArgumentError:
            _name_rejected_row(serve, batch)
            raise
        for (key, _), values in zip(batch, scores[self._output_key].numpy(), strict=True):
            yield key, values.tolist()

    def batch_elements_kwargs(self):
        return {"min_batch_size": 1, "max_batch_size": 1024}


def _name_rejected_row(serve, batch) -> None:
    """The model refused a batch: find the first row it refuses alone and say which."""
    import tensorflow as tf

    for key, example in batch:
        try:
            serve(**{SERVING_INPUT: tf.constant([example])})
        except tf.errors.InvalidArgumentError as err:
            raise CsvFormatError(
                f"data file {key[0]} row {key[1]} does not match the model's serving schema: "
                + (tf_error_reason(err.message) or "rejected")
            ) from None


def csv_line(cells: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()


def _scored_line(scored: tuple[Key, list]) -> str:
    key, values = scored
    return csv_line([*key, *(f"{v:.6g}" for v in values)])


class ScoreCsv(beam.PTransform):
    """CSV files -> one CSV file at `target` (a local path or a URI): a header, then a line per
    input row: file, row, key cells, probabilities (see `output_header`)."""

    def __init__(
        self,
        files: Sequence[str],
        model_dir: str,
        keys: Sequence[str],
        target: str,
        contract=CONTRACT,
    ):
        super().__init__()
        self._files = list(files)
        self._model_dir = model_dir
        self._keys = list(keys)
        self._target = target
        self._contract = contract

    def expand(self, pipeline):
        handler = SavedModelHandler(self._model_dir, self._contract.label.prediction_key)
        return (
            pipeline
            | "Files" >> beam.Create(self._files)
            | "ToRequests" >> beam.ParDo(_ToRequests(self._keys, self._contract))
            | "RunInference" >> RunInference(handler)
            | "ToCsv" >> beam.Map(_scored_line)
            | "Write"
            >> beam.io.WriteToText(
                self._target,
                shard_name_template="",
                header=csv_line(output_header(self._contract, self._keys)),
            )
        )


def written_rows(target: str) -> int:
    """Lines below the header of a scores file ScoreCsv wrote."""
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.open(target) as written:
        return sum(1 for _ in written) - 1
