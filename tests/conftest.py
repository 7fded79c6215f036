"""Shared fixtures (helpers are in `tests/helpers.py`). TensorFlow's environment is set before
anything imports it: under TFX 1.16 tf.keras must be tf_keras (Keras 2), as in every other entry
point of the project."""

from pipeline.options import tf_environment

tf_environment()

import pytest  # noqa: E402

from tests.helpers import N_ROWS, SCHEMA_FILE, raw_row  # noqa: E402


@pytest.fixture(scope="session")
def raw_rows() -> list[dict]:
    return [raw_row(i) for i in range(N_ROWS)]


@pytest.fixture(scope="session")
def schema():
    from tensorflow_metadata.proto.v0 import schema_pb2
    from tfx.utils import io_utils

    return io_utils.parse_pbtxt_file(str(SCHEMA_FILE), schema_pb2.Schema())


@pytest.fixture(scope="session")
def transformed(raw_rows, schema, tmp_path_factory):
    """Runs `preprocessing_fn` through tf.Transform's Beam implementation on the raw rows.

    Returns (transformed rows, directory of the written transform graph).
    """
    import tensorflow_transform.beam as tft_beam
    from tensorflow_transform.tf_metadata import dataset_metadata, metadata_io

    from components.preprocessing import preprocessing_fn

    out = tmp_path_factory.mktemp("transform")
    metadata = dataset_metadata.DatasetMetadata(schema)
    with tft_beam.Context(temp_dir=str(out / "tmp")):
        (rows, _), transform_fn = (raw_rows, metadata) | tft_beam.AnalyzeAndTransformDataset(
            preprocessing_fn
        )
        _ = transform_fn | tft_beam.WriteTransformFn(str(out / "transform_graph"))
    # The raw metadata beside the graph, as TFX's Transform writes it: the serving signature
    # parses raw examples with it.
    metadata_io.write_metadata(metadata, str(out / "transform_graph" / "metadata"))
    return rows, out / "transform_graph"
