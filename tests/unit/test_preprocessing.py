"""preprocessing_fn through tf.Transform's Beam implementation on 20 in-memory rows."""

import numpy as np
import pytest

from components.features import CONTRACT
from tests.helpers import N_ROWS


def column(rows, name):
    return np.array([np.asarray(r[CONTRACT.transformed_name(name)]).reshape(-1)[0] for r in rows])


def test_every_contract_feature_and_the_label_are_produced_with_one_value_per_row(transformed):
    rows, _ = transformed
    assert len(rows) == N_ROWS
    expected = {CONTRACT.transformed_name(f.name) for f in CONTRACT.features} | {
        CONTRACT.label.name
    }
    assert set(rows[0]) == expected
    for row in rows:
        for value in row.values():
            assert np.asarray(value).shape == (1,)


def test_dense_floats_are_z_scored(transformed, raw_rows):
    rows, _ = transformed
    fare = np.array([r["fare"][0] for r in raw_rows])
    expected = (fare - fare.mean()) / fare.std()
    np.testing.assert_allclose(column(rows, "fare"), expected, rtol=1e-5, atol=1e-6)


def test_missing_dense_value_takes_the_mean_and_scores_zero(transformed, raw_rows):
    rows, _ = transformed
    seconds = column(rows, "trip_seconds")
    assert seconds[3] == pytest.approx(0.0, abs=1e-6)
    present = np.array([r["trip_seconds"][0] for r in raw_rows if r["trip_seconds"]], float)
    filled = np.append(present, present.mean())  # z-scored after the fill
    expected_0 = (60.0 - filled.mean()) / filled.std()
    assert seconds[0] == pytest.approx(expected_0, rel=1e-5)


def test_vocabulary_ids_follow_frequency(transformed):
    rows, _ = transformed
    ids = column(rows, "payment_type")
    # 12 Cash, 6 Credit Card, 2 Unknown: the most frequent value gets id 0.
    assert list(ids[:12]) == [0] * 12
    assert list(ids[12:18]) == [1] * 6
    assert list(ids[18:]) == [2] * 2


def test_integer_ids_get_a_vocabulary_too(transformed):
    rows, _ = transformed
    tracts = column(rows, "dropoff_census_tract")
    assert set(tracts) == {0, 1}
    assert tracts[0] != tracts[1] and tracts[0] == tracts[2]


def test_coordinates_are_bucketized_in_range_and_missing_gets_the_reserved_bucket(transformed):
    rows, _ = transformed
    f = CONTRACT.feature("pickup_latitude")
    buckets = column(rows, "pickup_latitude")
    assert buckets[3] == f.size  # missing
    present = np.delete(buckets, 3)
    assert present.min() == 0 and present.max() == f.size - 1
    assert np.all(np.diff(present) >= 0), "latitude increases with the row, so do its buckets"
    assert buckets.max() < f.cardinality


def test_small_integer_categories_are_their_own_ids(transformed):
    rows, _ = transformed
    np.testing.assert_array_equal(column(rows, "trip_start_hour"), np.arange(N_ROWS))
    # A missing identity value takes the reserved id past the range.
    area = column(rows, "dropoff_community_area")
    assert area[3] == CONTRACT.feature("dropoff_community_area").size
    assert area[0] == 8


def test_label_is_tip_above_a_fifth_of_the_fare(transformed):
    rows, _ = transformed
    np.testing.assert_array_equal(column(rows, CONTRACT.label.name), [1] * 5 + [0] * (N_ROWS - 5))


def test_class_label_maps_each_value_to_its_position_in_the_contract_classes():
    import tensorflow as tf

    from components import preprocessing
    from components.contract import Label

    fruit = Label(name="fruit", classes=("apple", "banana", "orange"))
    ids = preprocessing.class_label(
        fruit, tf.constant([["orange"], ["apple"], ["banana"], ["apple"]])
    )
    np.testing.assert_array_equal(ids.numpy(), [[2], [0], [1], [0]])

    grade = Label(name="grade", classes=("3", "7", "11"))
    ids = preprocessing.class_label(grade, tf.constant([[11], [3], [7]], dtype=tf.int64))
    np.testing.assert_array_equal(ids.numpy(), [[2], [0], [1]])
