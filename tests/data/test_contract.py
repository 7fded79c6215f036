"""The feature contract, the curated schema and the bundled data agree."""

import csv

import pytest
from tensorflow_metadata.proto.v0 import schema_pb2

from components.contract import Contract, Dtype, Feature, Kind, Label
from components.features import CONTRACT
from tests.helpers import DATA_CSV

_SCHEMA_TYPE = {
    Dtype.FLOAT: schema_pb2.FLOAT,
    Dtype.INT: schema_pb2.INT,
    Dtype.STRING: schema_pb2.BYTES,
}


def _by_name(schema):
    return {f.name: f for f in schema.feature}


def test_feature_names_are_unique_and_transformed_names_do_not_collide():
    names = [f.name for f in CONTRACT.features]
    assert len(names) == len(set(names))
    transformed = [CONTRACT.transformed_name(n) for n in names] + [CONTRACT.label.name]
    assert len(transformed) == len(set(transformed))
    assert CONTRACT.label.name not in names
    assert CONTRACT.transformed_name(CONTRACT.label.name) == CONTRACT.label.name


def test_every_categorical_feature_has_a_positive_cardinality_and_dense_has_none():
    for f in CONTRACT.features:
        if f.is_categorical:
            assert f.size > 0 and f.cardinality > f.size - 1, f.name
        else:
            with pytest.raises(ValueError, match="is dense and has no cardinality"):
                _ = f.cardinality


def test_contract_features_exist_in_the_schema_with_matching_types(schema):
    by_name = _by_name(schema)
    for f in CONTRACT.features:
        assert f.name in by_name, f"{f.name} missing from schema"
        assert by_name[f.name].type == _SCHEMA_TYPE[f.dtype], f.name
        if f.kind is Kind.DENSE or f.kind is Kind.BUCKET:
            assert f.dtype in (Dtype.FLOAT, Dtype.INT), f.name


def test_float_columns_reject_nan_and_infinities(schema):
    floats = [f for f in schema.feature if f.type == schema_pb2.FLOAT]
    assert {f.name for f in floats} == {
        f.name for f in CONTRACT.features if f.dtype is Dtype.FLOAT
    } | {"tips"}
    for f in floats:
        assert f.float_domain.disallow_nan and f.float_domain.disallow_inf, f.name


def test_example_gen_reads_the_contract_columns_as_their_dtype(schema):
    types = CONTRACT.column_types()
    by_name = _by_name(schema)
    assert set(types) == {f.name for f in CONTRACT.features} | {"tips"}
    for name, kind in types.items():
        assert by_name[name].type == _SCHEMA_TYPE[Dtype[kind]], name


def test_every_schema_column_is_accounted_for_by_the_contract(schema):
    assert set(_by_name(schema)) == CONTRACT.raw_columns()


def test_identity_ranges_cover_the_schema_domains(schema):
    by_name = _by_name(schema)
    for f in CONTRACT.features:
        if f.kind is Kind.IDENTITY and by_name[f.name].HasField("int_domain"):
            domain = by_name[f.name].int_domain
            assert domain.min >= 0 and domain.max < f.size, f.name


def test_label_sources_are_required_and_only_the_label_source_is_absent_at_serving(schema):
    by_name = _by_name(schema)
    assert set(schema.default_environment) == {"TRAINING", "SERVING"}
    not_serving = {n for n, f in by_name.items() if "SERVING" in f.not_in_environment}
    assert not_serving == CONTRACT.label_only_columns() == {CONTRACT.label.numerator}
    for source in CONTRACT.label.source_columns:
        assert by_name[source].presence.min_fraction == 1.0
    assert CONTRACT.label.numerator not in CONTRACT.serving_columns()


def test_taxi_label_is_binary_with_one_probability_output():
    assert CONTRACT.label.is_derived and CONTRACT.label.is_binary
    assert CONTRACT.label.prediction_key == "big_tipper_probability"


def test_a_class_label_names_its_own_column_and_its_classes():
    label = Label(name="fruit", classes=("apple", "banana", "orange"))
    contract = Contract((Feature("weight", Kind.DENSE, Dtype.FLOAT),), label)
    assert (label.num_classes, label.is_binary) == (3, False)
    assert label.prediction_key == "fruit_probabilities"
    assert contract.raw_columns() == {"weight", "fruit"}
    assert contract.label_only_columns() == {"fruit"}
    assert contract.transformed_name("fruit") == "fruit"
    assert Label(name="spam", classes=("no", "yes")).is_binary


def test_slice_feature_is_a_contract_feature():
    assert CONTRACT.feature(CONTRACT.slice_feature).is_categorical


def test_bundled_csv_header_matches_the_schema(schema):
    with open(DATA_CSV, newline="") as f:
        header = next(csv.reader(f))
    assert set(header) == set(_by_name(schema))


def test_bundled_data_meets_the_schema(schema):
    """TFDV finds no anomaly in the bundled sample against the curated schema."""
    import tensorflow_data_validation as tfdv

    stats = tfdv.generate_statistics_from_csv(str(DATA_CSV))
    anomalies = tfdv.validate_statistics(stats, schema, environment="TRAINING")
    assert dict(anomalies.anomaly_info) == {}
