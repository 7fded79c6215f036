"""Typed pipeline configuration, validated once at start.

Two profiles build the same `PipelineConfig` and differ only in paths, Beam arguments and image:
`local_config` (everything under one output directory on this machine) and `kubeflow_config`
(object storage, the pipeline image). Nothing here imports TensorFlow or TFX, so a bad argument
fails in milliseconds.
"""

from __future__ import annotations

import dataclasses
import os
import re
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from components.csv_files import (
    CsvFormatError,
    file_problem,
    is_data_file,
    read_layout,
    same_columns,
    span_dirs,
)
from components.hparams import ModelParams
from pipeline.beam import BeamConfig
from pipeline.code_version import code_versions
from pipeline.errors import ConfigError

# In a source checkout the bundled sample, the curated schema and setup.py sit beside the
# packages. An installed (non-editable) package has none of them: see `checkout_path`.
REPO_ROOT = Path(__file__).resolve().parents[1]

# Where kubeflow/Dockerfile puts this repository inside the pipeline image.
IMAGE_ROOT = PurePosixPath("/pipeline")
IMAGE_DATA_DIR = IMAGE_ROOT / "data"
IMAGE_SCHEMA_FILE = IMAGE_ROOT / "schema" / "schema.pbtxt"
IMAGE_SETUP_FILE = IMAGE_ROOT / "setup.py"

_PIPELINE_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,127}")
_REMOTE_URI = re.compile(r"[a-z][a-z0-9+.-]*://\S+")


# Where the tasks' TensorFlow (tf.io.gfile, TF 2.16) can write: gs:// only; s3:// and MinIO
# (minio://, Kubeflow Pipelines' default store) need tensorflow-io, which the image does not have.
TF_WRITABLE_SCHEMES = ("gs://",)


def is_remote(uri: str) -> bool:
    return bool(_REMOTE_URI.fullmatch(uri)) and not uri.startswith("file://")


def join(base: str, *parts: str) -> str:
    """Joins a local path or a URI without collapsing `gs://`."""
    return "/".join([base.rstrip("/"), *parts])


def metadata_store_problem(path: Path) -> str | None:
    """Why the SQLite ML Metadata store at `path` cannot be used (None: it can, or is absent).
    Read with sqlite3 alone, so a damaged file is named before ML Metadata fails on it with a
    query error."""
    import sqlite3

    if not path.exists():
        return None
    advice = "move it away to start a new run history there, or choose another --output"
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        return f"metadata store {path} is not an SQLite database ({exc}); {advice}"
    if tables and "MLMDEnv" not in tables:
        return f"metadata store {path} is an SQLite database of another program; {advice}"
    return None


def _existing(path: Path) -> Path:
    """`path`, or its nearest ancestor that exists (where it would be created)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def data_files(data_dir: Path) -> list[Path]:
    """The files ExampleGen reads in a local data directory."""
    return sorted(p for p in data_dir.iterdir() if p.is_file() and is_data_file(p.name))


def checkout_path(*parts: str) -> Path | None:
    """A file of the source checkout (the bundled data, the schema, setup.py), or None when the
    package runs installed from a wheel, where the user must name the data and the schema."""
    if not (REPO_ROOT / "pyproject.toml").is_file():
        return None
    return REPO_ROOT.joinpath(*parts)


def default_output_dir() -> Path:
    """`outputs/` in the checkout (git-ignored), else in the working directory."""
    return checkout_path("outputs") or Path.cwd() / "outputs"


@dataclass(frozen=True)
class Thresholds:
    """What the Evaluator requires before it blesses a model."""

    min_auc: float = 0.85  # binary labels only
    min_accuracy: float = 0.6  # binary_accuracy, or sparse_categorical_accuracy for classes
    # How much the primary metric (AUC when binary, else accuracy) may fall below the latest
    # blessed model's (noise between retrains). There is no baseline on the first run, so this
    # check is skipped then.
    max_drop: float = 0.01
    # The serving check's bar: 99th percentile of single-example serving_default calls. Measured
    # ~1 ms for the taxi model on this 2-core machine; the bar leaves room for a busy host.
    max_latency_ms: float = 100.0

    def errors(self) -> list[str]:
        errs = []
        for name in ("min_auc", "min_accuracy", "max_drop"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                errs.append(f"{name} must be within [0, 1], got {value}")
        if not self.max_latency_ms > 0:
            errs.append(f"max_latency_ms must be above 0, got {self.max_latency_ms}")
        return errs


BASELINES = ("resolver", "metadata")


@dataclass(frozen=True)
class PipelineConfig:
    data_dir: str
    pipeline_root: str
    serving_dir: str
    schema_file: str
    # Local profile only: the directory holding everything a run writes, the SQLite ML Metadata
    # store and the logs. Kubeflow brings its own metadata store and logging.
    output_dir: str | None = None
    metadata_path: str | None = None
    log_dir: str | None = None
    # Kubeflow profile only: the container image every step runs in.
    image: str | None = None
    pipeline_name: str = "taxi-big-tipper"
    train_steps: int = 1000
    eval_steps: int = 150
    tune_trials: int = 0  # > 0: a Tuner searches this many trials before the Trainer
    # Continuous training: the data directory holds span-<N> folders; ExampleGen reads the newest,
    # Transform and the Trainer the `window` newest ingested so far.
    spans: bool = False
    window: int = 3
    # The Trainer starts from the weights of the latest blessed model (when its shapes match).
    warm_start: bool = False
    # CSV files the pushed model scores at the end of the run (BatchInference); None: no scoring.
    predict_data_dir: str | None = None
    predict_keys: tuple[str, ...] = ()
    # {node id: digest of the code it runs} (pipeline/code_version.py): an edit re-runs the node.
    code_versions: dict[str, str] = field(default_factory=dict)
    # Where the baselines (validated statistics, blessed model) come from: TFX's resolver nodes
    # ("resolver": local, Vertex), or a look-up in the cluster's ML Metadata by the DataGate and
    # the Evaluator themselves ("metadata": open-source KFP, which runs no resolver tasks).
    baselines: str = "resolver"
    model: ModelParams = field(default_factory=ModelParams)
    thresholds: Thresholds = field(default_factory=Thresholds)
    beam: BeamConfig = field(default_factory=BeamConfig)
    enable_cache: bool = True

    @property
    def is_local(self) -> bool:
        return self.image is None

    def validate(self) -> PipelineConfig:
        """Raises ConfigError naming the first problem; returns self for chaining."""
        errs = self.errors()
        if errs:
            raise ConfigError(errs[0])
        return self

    def errors(self) -> list[str]:
        errs = self._local_errors() if self.is_local else self._kubeflow_errors()
        if not _PIPELINE_NAME.fullmatch(self.pipeline_name):
            # Kubeflow's rule, applied everywhere so that a name that runs locally also compiles.
            errs.append(f"pipeline name {self.pipeline_name!r} must match {_PIPELINE_NAME.pattern}")
        if self.train_steps <= 0:
            errs.append(f"train_steps must be > 0, got {self.train_steps}")
        if self.eval_steps <= 0:
            errs.append(f"eval_steps must be > 0, got {self.eval_steps}")
        if self.predict_data_dir and self.is_local:
            found = Path(self.predict_data_dir)
            if not found.is_dir() or not data_files(found):
                errs.append(f"--predict-data {found} is not a directory with .csv files")
        if self.window < 1:
            errs.append(f"window must be >= 1, got {self.window}")
        if self.tune_trials < 0:
            errs.append(f"tune_trials must be >= 0, got {self.tune_trials}")
        if self.baselines not in BASELINES:
            errs.append(f"baselines must be one of {', '.join(BASELINES)}, got {self.baselines!r}")
        elif self.baselines == "metadata" and (self.is_local or self.spans or self.warm_start):
            errs.append(
                "baselines from the cluster's metadata are for Kubeflow without span windows or"
                " warm starts, which need TFX's resolvers (compile with --target vertex)"
            )
        return errs + self.model.errors() + self.thresholds.errors() + self.beam.errors()

    @property
    def read_dir(self) -> Path:
        """The folder ExampleGen reads this run: the data directory, or its newest span."""
        spans = span_dirs(Path(self.data_dir)) if self.spans else {}
        return list(spans.values())[-1] if spans else Path(self.data_dir)

    def _local_errors(self) -> list[str]:
        errs = []
        data, output = Path(self.data_dir), Path(self.output_dir or self.pipeline_root)
        if not data.exists():
            errs.append(f"data directory {data} does not exist")
        elif not data.is_dir():
            errs.append(f"data path {data} is not a directory")
        elif not (files := data_files(self.read_dir)):
            errs.append(f"data directory {self.read_dir} holds no .csv or .csv.gz file")
        else:
            errs += [e for p in files if (e := file_problem(str(p)))]
            if not errs:
                try:
                    same_columns([read_layout(str(p)) for p in files])
                except CsvFormatError as exc:
                    errs.append(str(exc))
        if not Path(self.schema_file).is_file():
            errs.append(f"schema file {self.schema_file} does not exist")
        if output.exists() and not output.is_dir():
            errs.append(f"output path {output} exists and is not a directory")
        elif not os.access(_existing(output), os.W_OK):
            errs.append(f"output directory {output} is not writable")
        if self.metadata_path and (problem := metadata_store_problem(Path(self.metadata_path))):
            errs.append(problem)
        if output.resolve() == data.resolve() or data.resolve() in output.resolve().parents:
            # CsvExampleGen reads every file under the data dir; outputs there would be re-read.
            errs.append(f"output directory {output} must not be inside the data directory")
        return errs

    def _kubeflow_errors(self) -> list[str]:
        errs = []
        if not self.image or any(c.isspace() for c in self.image):
            errs.append(f"image {self.image!r} is not a container image reference")
        for name in ("pipeline_root", "serving_dir"):
            value = getattr(self, name)
            if not is_remote(value):
                errs.append(
                    f"{name.replace('_', ' ')} {value!r} must be an object-storage URI such as "
                    "gs://bucket/path: a local path does not exist on the cluster"
                )
            elif not value.startswith(TF_WRITABLE_SCHEMES):
                errs.append(
                    f"{name.replace('_', ' ')} {value!r}: the tasks write there with TensorFlow's"
                    f" file system, which opens {', '.join(TF_WRITABLE_SCHEMES)} URIs only"
                    f" ({value.split('://')[0]}:// needs tensorflow-io)"
                )
        for name in ("data_dir", "schema_file"):
            value = getattr(self, name)
            if not (is_remote(value) or PurePosixPath(value).is_absolute()):
                errs.append(
                    f"{name.replace('_', ' ')} {value!r} must be a URI or a path in the image"
                )
        if self.metadata_path is not None:
            errs.append("a Kubeflow pipeline uses the cluster's ML Metadata, not a local store")
        return errs


@dataclass(frozen=True)
class OutputLayout:
    """Where a local run writes under its output directory; the readers of runs find them by it."""

    root: Path

    @property
    def pipeline_root(self) -> Path:
        return self.root / "pipeline_root"

    @property
    def serving_dir(self) -> Path:
        return self.root / "serving"

    @property
    def metadata_path(self) -> Path:
        return self.root / "metadata.sqlite"

    @property
    def log_dir(self) -> Path:
        return self.root / "logs"


def direct_beam(workers: int = 1) -> BeamConfig:
    """Beam's direct runner on this machine: in this process, or `workers` worker processes."""
    return BeamConfig(
        direct_running_mode="in_memory" if workers == 1 else "multi_processing",
        direct_num_workers=workers,
    )


def _with_setup_file(beam: BeamConfig, setup_file: str | None) -> BeamConfig:
    # Naming the package's own setup.py stops TFX from building and attaching an sdist of itself
    # to every Beam component (~1.2 s each); remote Beam workers install this package from it.
    if beam.setup_file is not None or setup_file is None:
        return beam
    return dataclasses.replace(beam, setup_file=setup_file)


def local_config(
    data_dir: Path | None = None,
    output_dir: Path | None = None,
    schema_file: Path | None = None,
    **settings,
) -> PipelineConfig:
    """Everything a run writes goes under `output_dir`; pushed models in `output_dir/serving`.
    Data and schema default to the checkout's bundled sample and curated schema."""
    data_dir = data_dir or checkout_path("data")
    schema_file = schema_file or checkout_path("schema", "schema.pbtxt")
    if data_dir is None:
        raise ConfigError(
            "--data is required: the bundled sample ships with a source checkout only"
        )
    if schema_file is None:
        raise ConfigError(
            "--schema is required: the curated schema ships with a source checkout only"
        )
    layout = OutputLayout(Path(output_dir or default_output_dir()).expanduser().absolute())
    settings.setdefault("code_versions", code_versions())
    settings.setdefault("spans", bool(span_dirs(Path(data_dir))))
    setup_file = checkout_path("setup.py")
    settings["beam"] = _with_setup_file(
        settings.get("beam") or direct_beam(), str(setup_file) if setup_file else None
    )
    return PipelineConfig(
        data_dir=str(Path(data_dir).expanduser().absolute()),
        pipeline_root=str(layout.pipeline_root),
        serving_dir=str(layout.serving_dir),
        schema_file=str(Path(schema_file).expanduser().absolute()),
        output_dir=str(layout.root),
        metadata_path=str(layout.metadata_path),
        log_dir=str(layout.log_dir),
        **settings,
    )


def kubeflow_config(
    pipeline_root: str,
    image: str,
    data_dir: str = str(IMAGE_DATA_DIR),
    serving_dir: str | None = None,
    schema_file: str = str(IMAGE_SCHEMA_FILE),
    beam: BeamConfig | None = None,
    **settings,
) -> PipelineConfig:
    """The same pipeline for Kubeflow Pipelines v2 / Vertex: artifacts under `pipeline_root`,
    pushes to `serving_dir` (default `<pipeline_root>/serving`). Data and schema default to the
    copies baked into the image, so the compiled pipeline runs as is on the bundled sample."""
    beam = _with_setup_file(beam or BeamConfig(), str(IMAGE_SETUP_FILE))
    settings.setdefault("code_versions", code_versions())
    return PipelineConfig(
        data_dir=data_dir,
        pipeline_root=pipeline_root,
        serving_dir=serving_dir or join(pipeline_root, "serving"),
        schema_file=schema_file,
        image=image,
        beam=beam,
        **settings,
    )
