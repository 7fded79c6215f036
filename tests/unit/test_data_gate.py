"""The data gate's reading of TFDV results: plain-words lines and drift against a baseline."""

import pandas as pd
import pytest

from components.data_gate import describe, drift_anomalies
from tests.helpers import DATA_CSV


@pytest.fixture(scope="module")
def frames():
    data = pd.read_csv(DATA_CSV)
    return data.iloc[:3000], data.iloc[3000:6000]


def _stats(frame):
    import tensorflow_data_validation as tfdv

    return tfdv.generate_statistics_from_dataframe(frame)


def test_anomalies_become_one_line_per_column_naming_the_problem(schema, frames):
    import tensorflow_data_validation as tfdv

    def lines(frame):
        anomalies = tfdv.validate_statistics(_stats(frame), schema, environment="TRAINING")
        return set(describe(anomalies, where="train"))

    # pandas reads integer columns with gaps as floats, so compare with the clean frame's lines.
    bad = frames[0].copy()
    bad.loc[bad.index[::4], "payment_type"] = "Bitcoin"
    (line,) = lines(bad) - lines(frames[0])
    assert line.startswith("payment_type: unexpected string values (")
    assert "Bitcoin" in line and line.endswith("[train]")


def test_same_distribution_is_no_drift_and_a_shift_is(schema, frames):
    first, second = frames
    assert dict(drift_anomalies(schema, _stats(second), _stats(first)).anomaly_info) == {}

    shifted = second.assign(fare=second.fare * 5 + 20)
    drift = drift_anomalies(schema, _stats(shifted), _stats(first))
    assert set(drift.anomaly_info) == {"fare"}
    (line,) = describe(drift)
    assert line.startswith("fare: high approximate jensen-shannon divergence")


def test_a_present_but_empty_column_is_not_called_dropped():
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    anomalies = anomalies_pb2.Anomalies()
    info = anomalies.anomaly_info["tips"]
    info.reason.add(
        type=anomalies_pb2.AnomalyInfo.FEATURE_TYPE_NOT_PRESENT,  # what TFDV reports then
        short_description="Column dropped",
        description="The feature was not present in any examples.",
    )
    assert describe(anomalies) == [
        "tips: column dropped (The feature was not present in any examples)"
    ]
    assert describe(anomalies, present=frozenset({"tips", "fare"})) == [
        "tips: no values (the column is there, but every cell is empty)"
    ]
