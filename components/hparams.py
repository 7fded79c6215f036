"""Model hyperparameters. Kept free of TensorFlow so that config validation and `--help` stay
instant; they reach `run_fn` through the Trainer's JSON `custom_config`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

# `run_fn` records how it trained (these options, replicas, workers, final metrics) in this file
# beside its TensorBoard logs; the report and `inspect` read it.
TRAINING_RECORD = "training.json"
# The Tuner (`run --tune`) writes the best values and every trial in this file, the one file of
# TFX's HyperParameters artifact, which the Trainer reads.
TUNING_RESULT = "best_hyperparameters.json"
# The key of a component's custom_config that holds the digest of its code (only to key TFX's
# cache; pipeline/code_version.py).
CODE_VERSION = "code_version"

MODEL_APIS = ("functional", "subclassed")
TRAINING_LOOPS = ("fit", "custom")
# "default": no distribution (one device). "mirrored": one replica per GPU, or per logical CPU
# device when there is no GPU. "multi-worker": workers described by the TF_CONFIG variable.
STRATEGIES = ("default", "mirrored", "multi-worker")


@dataclass(frozen=True)
class ModelParams:
    hidden_units: tuple[int, ...] = (64, 32)
    learning_rate: float = 0.001
    batch_size: int = 40
    # Seeds weight initialisation and the order training batches are read in, so that re-running
    # on the same data gives the same model.
    seed: int = 42
    model_api: str = "functional"
    training_loop: str = "fit"
    strategy: str = "default"

    def errors(self) -> list[str]:
        errs = []
        for name, allowed in (
            ("model_api", MODEL_APIS),
            ("training_loop", TRAINING_LOOPS),
            ("strategy", STRATEGIES),
        ):
            value = getattr(self, name)
            if value not in allowed:
                errs.append(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
        if not self.hidden_units or any(u <= 0 for u in self.hidden_units):
            errs.append(f"hidden_units must be positive integers, got {self.hidden_units}")
        if not self.learning_rate > 0:
            errs.append(f"learning_rate must be > 0, got {self.learning_rate}")
        if self.batch_size <= 0:
            errs.append(f"batch_size must be > 0, got {self.batch_size}")
        return errs

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ModelParams:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown model parameters: {sorted(unknown)}")
        d = dict(d)
        if "hidden_units" in d:
            d["hidden_units"] = tuple(int(u) for u in d["hidden_units"])
        return cls(**d)
