"""The feature contract: the one place that names the columns the model uses and how.

Transform (`preprocessing.py`), the model (`model.py`), the Evaluator config and the tests read this
module; nothing else lists feature names. To bring your own data, change this file and
`schema/schema.pbtxt` together; `tests/data/test_contract.py` checks that they agree.
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
    """A binary label derived from raw columns: `numerator > ratio * denominator`."""

    name: str
    numerator: str
    denominator: str
    ratio: float


# Chicago taxi trips: columns and kinds follow TFX's own taxi example so that results compare,
# except that census tracts (11-digit ids) get a vocabulary instead of an identity range they
# would overflow.
FEATURES: tuple[Feature, ...] = (
    Feature("trip_miles", Kind.DENSE, Dtype.FLOAT),
    Feature("fare", Kind.DENSE, Dtype.FLOAT),
    Feature("trip_seconds", Kind.DENSE, Dtype.INT),
    Feature("payment_type", Kind.VOCAB, Dtype.STRING, size=1000, oov_buckets=10),
    Feature("company", Kind.VOCAB, Dtype.STRING, size=1000, oov_buckets=10),
    Feature("pickup_census_tract", Kind.VOCAB, Dtype.INT, size=1000, oov_buckets=10),
    Feature("dropoff_census_tract", Kind.VOCAB, Dtype.INT, size=1000, oov_buckets=10),
    Feature("pickup_latitude", Kind.BUCKET, Dtype.FLOAT, size=10),
    Feature("pickup_longitude", Kind.BUCKET, Dtype.FLOAT, size=10),
    Feature("dropoff_latitude", Kind.BUCKET, Dtype.FLOAT, size=10),
    Feature("dropoff_longitude", Kind.BUCKET, Dtype.FLOAT, size=10),
    Feature("trip_start_hour", Kind.IDENTITY, Dtype.INT, size=24),
    Feature("trip_start_day", Kind.IDENTITY, Dtype.INT, size=8),
    Feature("trip_start_month", Kind.IDENTITY, Dtype.INT, size=13),
    Feature("pickup_community_area", Kind.IDENTITY, Dtype.INT, size=78),
    Feature("dropoff_community_area", Kind.IDENTITY, Dtype.INT, size=78),
)

# Big tipper: the tip is more than 20% of the fare, as in TFX's taxi example.
LABEL = Label(name="big_tipper", numerator="tips", denominator="fare", ratio=0.2)

# Raw columns in the data that the model deliberately does not use.
UNUSED_COLUMNS: tuple[str, ...] = ("trip_start_timestamp",)

# Evaluation metrics are also reported per value of this raw column.
SLICE_FEATURE = "trip_start_hour"


def transformed_name(name: str) -> str:
    """Name of a feature after Transform; the label keeps its own (derived) name."""
    return name if name == LABEL.name else f"{name}_xf"


def feature(name: str) -> Feature:
    for f in FEATURES:
        if f.name == name:
            return f
    raise KeyError(f"{name!r} is not in the feature contract")


def raw_columns() -> set[str]:
    """Every column the data must carry for training."""
    return {f.name for f in FEATURES} | {LABEL.numerator, LABEL.denominator} | set(UNUSED_COLUMNS)


def serving_columns() -> set[str]:
    """Columns a serving request must carry: the model's features, nothing the label needs."""
    return {f.name for f in FEATURES}
