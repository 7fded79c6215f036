"""`python -m pipeline predict`: scores CSV files with a pushed model and writes one CSV (the Beam
job is components/batch_inference.py).

Everything that can be checked before Beam starts is: the version exists, each file has a header
with the model's columns and the key columns. A row the model cannot take stops the job with its
file and row. The output appears only complete: Beam writes into a hidden directory beside it,
which is renamed into place at the end or removed on failure.
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from components.csv_files import CsvFormatError, read_layout
from components.serving_dir import served_versions
from pipeline.beam import BeamConfig
from pipeline.config import data_files
from pipeline.errors import InputError


@dataclass(frozen=True)
class Scored:
    rows: int
    files: int
    version: Path
    output: Path
    seconds: float

    def summary(self) -> str:
        rate = self.rows / self.seconds if self.seconds else 0.0
        return (
            f"Scored {self.rows:,} rows from {self.files} file{'s' if self.files > 1 else ''} "
            f"with model version {self.version.name} in {self.seconds:.1f} s "
            f"({rate:,.0f} rows/s) -> {self.output}"
        )


def model_version(serving_dir: Path, version: str | None) -> Path:
    versions = served_versions(serving_dir)
    if not versions:
        raise InputError(f"no model has been pushed to {serving_dir}; run the pipeline first")
    if version is None:
        return versions[-1]
    found = next((v for v in versions if v.name == version), None)
    if found is None:
        names = ", ".join(v.name for v in versions)
        raise InputError(f"no version {version} in {serving_dir} (it has {names})")
    return found


def input_files(data_dir: Path, keys: list[str]) -> list[Path]:
    """The CSV files to score, each checked for the columns scoring needs."""
    from components.batch_inference import missing_columns
    from components.features import CONTRACT

    if not data_dir.is_dir():
        raise InputError(f"data directory {data_dir} does not exist")
    files = data_files(data_dir)
    if not files:
        raise InputError(f"no .csv or .csv.gz file in {data_dir}")
    for path in files:
        try:
            columns = read_layout(str(path)).columns
        except CsvFormatError as exc:
            raise InputError(str(exc)) from None
        if lacking := missing_columns(columns, keys, CONTRACT):
            raise InputError(
                f"data file {path.name} lacks columns the model or --keys need: "
                + ", ".join(lacking)
            )
    return files


def _quiet_tf_teardown() -> None:
    """Beam keeps the loaded SavedModel until the interpreter exits; freed that late, each of
    its TensorFlow functions prints "Exception ignored in: AtomicFunction.__del__ ... TypeError"
    (module globals are gone by then). Harmless, so only that one is silenced."""
    default = sys.unraisablehook

    def hook(unraisable) -> None:
        where = getattr(unraisable.object, "__qualname__", "")
        if not (where == "AtomicFunction.__del__" and unraisable.exc_type is TypeError):
            default(unraisable)

    sys.unraisablehook = hook


def predict(
    data_dir: Path,
    output: Path,
    serving_dir: Path,
    version: str | None,
    keys: list[str],
    beam: BeamConfig,
) -> Scored:
    model = model_version(serving_dir, version)
    files = input_files(data_dir, keys)
    if output.is_dir():
        raise InputError(f"--output {output} is a directory; give a file name")

    import apache_beam as beam_sdk
    from apache_beam.options.pipeline_options import PipelineOptions

    from components.batch_inference import ScoreCsv, written_rows
    from components.features import CONTRACT

    _quiet_tf_teardown()
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = output.parent / f".{output.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    started = time.monotonic()
    try:
        target = str(staging / "scores")
        with beam_sdk.Pipeline(options=PipelineOptions(beam.args())) as p:
            _ = p | ScoreCsv([str(f) for f in files], str(model), keys, target, CONTRACT)
        rows = written_rows(target)
        (staging / "scores").replace(output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Scored(rows, len(files), model, output, time.monotonic() - started)
