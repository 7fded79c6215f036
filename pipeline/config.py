"""Typed pipeline configuration, validated once at start.

Profiles differ only in paths, Beam arguments and platform settings; the DAG is the same.
Nothing here imports TensorFlow or TFX, so a bad argument fails in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from components.hparams import ModelParams

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO_ROOT / "data"
DEFAULT_OUTPUT_DIR = REPO_ROOT / "outputs"
DEFAULT_SCHEMA_FILE = REPO_ROOT / "schema" / "schema.pbtxt"

# In-memory direct running mode: on the 15k-row sample it runs TFX's taxi example ~2.8x faster
# than Beam's multi-processing default, which spends its time starting workers that each import
# TensorFlow (../shared/PLATFORM.md).
LOCAL_BEAM_ARGS: tuple[str, ...] = ("--direct_running_mode=in_memory", "--direct_num_workers=1")


class ConfigError(ValueError):
    """A configuration problem, worded as one line for the user."""


@dataclass(frozen=True)
class Thresholds:
    """What the Evaluator requires before it blesses a model."""

    min_auc: float = 0.85
    min_binary_accuracy: float = 0.6
    # How much AUC may fall below the latest blessed model's (noise between retrains).
    # There is no baseline on the first run, so this check is skipped then.
    max_auc_drop: float = 0.01

    def errors(self) -> list[str]:
        errs = []
        for name in ("min_auc", "min_binary_accuracy"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                errs.append(f"{name} must be within [0, 1], got {value}")
        if not 0.0 <= self.max_auc_drop <= 1.0:
            errs.append(f"max_auc_drop must be within [0, 1], got {self.max_auc_drop}")
        return errs


@dataclass(frozen=True)
class PipelineConfig:
    data_dir: Path = DEFAULT_DATA_DIR
    output_dir: Path = DEFAULT_OUTPUT_DIR
    schema_file: Path = DEFAULT_SCHEMA_FILE
    pipeline_name: str = "taxi_big_tipper"
    train_steps: int = 1000
    eval_steps: int = 150
    model: ModelParams = field(default_factory=ModelParams)
    thresholds: Thresholds = field(default_factory=Thresholds)
    beam_args: tuple[str, ...] = LOCAL_BEAM_ARGS
    enable_cache: bool = True

    # Everything a run writes lives under output_dir.
    @property
    def pipeline_root(self) -> Path:
        return self.output_dir / "pipeline_root"

    @property
    def metadata_path(self) -> Path:
        return self.output_dir / "metadata.sqlite"

    @property
    def serving_dir(self) -> Path:
        """Pushed models land here as numbered versions, the layout TF Serving watches."""
        return self.output_dir / "serving"

    @property
    def log_dir(self) -> Path:
        return self.output_dir / "logs"

    def validate(self) -> PipelineConfig:
        """Raises ConfigError naming the first problem; returns self for chaining."""
        errs = self.errors()
        if errs:
            raise ConfigError(errs[0])
        return self

    def errors(self) -> list[str]:
        errs = []
        if not self.data_dir.exists():
            errs.append(f"data directory {self.data_dir} does not exist")
        elif not self.data_dir.is_dir():
            errs.append(f"data path {self.data_dir} is not a directory")
        elif not any(p.is_file() for p in self.data_dir.glob("*.csv")):
            errs.append(f"data directory {self.data_dir} holds no .csv file")
        if not self.schema_file.is_file():
            errs.append(f"schema file {self.schema_file} does not exist")
        if self.output_dir.exists() and not self.output_dir.is_dir():
            errs.append(f"output path {self.output_dir} exists and is not a directory")
        if self.output_dir.resolve() == self.data_dir.resolve() or (
            self.data_dir.resolve() in self.output_dir.resolve().parents
        ):
            # CsvExampleGen reads every file under the data dir; outputs there would be re-read.
            errs.append(f"output directory {self.output_dir} must not be inside the data directory")
        if not self.pipeline_name.replace("_", "").replace("-", "").isalnum():
            errs.append(
                f"pipeline name {self.pipeline_name!r} may hold only letters, digits, _ and -"
            )
        if self.train_steps <= 0:
            errs.append(f"train_steps must be > 0, got {self.train_steps}")
        if self.eval_steps <= 0:
            errs.append(f"eval_steps must be > 0, got {self.eval_steps}")
        return errs + self.model.errors() + self.thresholds.errors()
