"""The feature contract of the Chicago taxi sample: the one place that names the columns the
model uses and how.

This module is data: `CONTRACT` is the default contract that Transform (`preprocessing.py`), the
model (`model.py`), the export and the Evaluator config take as an argument; nothing else lists
feature names. To bring your own data, replace this file and
`schema/schema.pbtxt` together (`python -m pipeline schema` drafts both);
`tests/data/test_contract.py` checks that they agree.
"""

from __future__ import annotations

from components.contract import Contract, Dtype, Feature, Kind, Label

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

# Evaluation metrics are also reported per value of this raw column (None: overall only).
SLICE_FEATURE: str | None = "trip_start_hour"


CONTRACT = Contract(FEATURES, LABEL, UNUSED_COLUMNS, SLICE_FEATURE)
