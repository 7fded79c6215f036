"""The building blocks of a feature contract: how a raw column becomes a model input (`Feature`),
what the model predicts (`Label`), and the names every component derives from them (`Contract`).

A contract itself (the columns of one data set) lives in `components/features.py`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Kind(enum.Enum):
    """How a raw column becomes a model input."""

    DENSE = "dense"  # numeric, missing -> mean, then z-scored
    VOCAB = "vocab"  # string or id-like int, mapped to a vocabulary id (plus OOV buckets)
    BUCKET = "bucket"  # float, cut into quantile buckets
    IDENTITY = "identity"  # small non-negative int used as its own id


class Dtype(enum.Enum):
    FLOAT = "float"
    INT = "int"
    STRING = "string"


@dataclass(frozen=True)
class Feature:
    name: str
    kind: Kind
    dtype: Dtype
    # BUCKET: number of quantile buckets. IDENTITY: values are expected in [0, size).
    # VOCAB: keep the `size` most frequent values.
    size: int = 0
    oov_buckets: int = 0  # VOCAB only: hash buckets for values outside the vocabulary

    @property
    def is_categorical(self) -> bool:
        return self.kind is not Kind.DENSE

    @property
    def cardinality(self) -> int:
        """Number of distinct ids the transformed feature can take (categorical kinds only).

        BUCKET and IDENTITY reserve one id past the range for missing or out-of-range values.
        """
        if self.kind is Kind.DENSE:
            raise ValueError(f"{self.name} is dense and has no cardinality")
        if self.kind is Kind.VOCAB:
            return self.size + self.oov_buckets
        return self.size + 1


@dataclass(frozen=True)
class Label:
    """What the model predicts, in one of two forms:

    - derived (binary): `numerator > ratio * denominator` over two raw columns, named `name`;
    - a class column: the raw column `name` itself, whose values `classes` are the classes, in
      class-id order (two classes make a binary label: the second is the positive one).
    """

    name: str
    numerator: str | None = None
    denominator: str | None = None
    ratio: float = 0.0
    classes: tuple[str, ...] = ()

    @property
    def is_derived(self) -> bool:
        return self.numerator is not None

    @property
    def num_classes(self) -> int:
        return 2 if self.is_derived else len(self.classes)

    @property
    def is_binary(self) -> bool:
        return self.num_classes == 2

    @property
    def source_columns(self) -> tuple[str, ...]:
        return (self.numerator, self.denominator) if self.is_derived else (self.name,)

    @property
    def prediction_key(self) -> str:
        """Serving output: `[batch, 1]` probability of the positive class when binary, else
        `[batch, num_classes]` class probabilities."""
        return f"{self.name}_probability" if self.is_binary else f"{self.name}_probabilities"


@dataclass(frozen=True)
class Contract:
    features: tuple[Feature, ...]
    label: Label
    unused_columns: tuple[str, ...] = ()
    # Evaluation metrics are also reported per value of this raw column (None: overall only).
    slice_feature: str | None = None

    def transformed_name(self, name: str) -> str:
        """Name of a feature after Transform; the label keeps its own name."""
        return name if name == self.label.name else f"{name}_xf"

    def feature(self, name: str) -> Feature:
        for f in self.features:
            if f.name == name:
                return f
        raise KeyError(f"{name!r} is not in the feature contract")

    def raw_columns(self) -> set[str]:
        """Every column the data must carry for training."""
        return (
            {f.name for f in self.features}
            | set(self.label.source_columns)
            | set(self.unused_columns)
        )

    def column_types(self) -> dict[str, str]:
        """How ExampleGen reads the columns the contract knows ("INT", "FLOAT", "STRING"): the
        features by their dtype, a derived label's source columns as numbers. Others (a class
        label, unused columns) are read by inference."""
        types = {f.name: f.dtype.name for f in self.features}
        if self.label.is_derived:
            for column in self.label.source_columns:
                types.setdefault(column, Dtype.FLOAT.name)
        return types

    def label_only_columns(self) -> set[str]:
        """Columns only the label needs: absent from serving requests."""
        return set(self.label.source_columns) - {f.name for f in self.features}

    def serving_columns(self) -> set[str]:
        """Columns a serving request must carry: the model's features, nothing the label needs."""
        return {f.name for f in self.features}
