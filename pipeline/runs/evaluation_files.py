"""Reads the Evaluator's metrics files without loading TensorFlow.

TFMA writes its metrics as `MetricsForSlice` protos in TFRecord files. `tfma.load_eval_result`
reads them through TensorFlow, which takes ~10 s to import; `inspect` only needs the numbers, so
this reads the same records with TFMA's own generated proto module (which imports only protobuf)
and a plain TFRecord reader. `tests/pipeline/test_cli_outputs.py` checks that the result equals
`tfma.load_eval_result` on real evaluations.
"""

from __future__ import annotations

import importlib.util
import struct
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

_PROTO_MODULE = "tensorflow_model_analysis.proto.metrics_for_slice_pb2"


def _metrics_proto() -> ModuleType:
    """TFMA's `metrics_for_slice_pb2`, loaded by file so that TFMA's package `__init__` (which
    imports TensorFlow and Beam) does not run. A later `import tensorflow_model_analysis` finds
    this module in `sys.modules` and reuses it, so the proto is registered once."""
    if _PROTO_MODULE in sys.modules or "tensorflow_model_analysis" in sys.modules:
        return importlib.import_module(_PROTO_MODULE)
    package = importlib.util.find_spec("tensorflow_model_analysis")
    path = Path(next(iter(package.submodule_search_locations))) / "proto"
    spec = importlib.util.spec_from_file_location(_PROTO_MODULE, path / "metrics_for_slice_pb2.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[_PROTO_MODULE] = module
    spec.loader.exec_module(module)
    return module


def _masked_crc(data: bytes) -> int:
    import google_crc32c

    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecords(path: Path) -> Iterator[bytes]:
    """The records of an uncompressed TFRecord file (length, its CRC, data, its CRC)."""
    with open(path, "rb") as f:
        while header := f.read(12):
            (length,) = struct.unpack("<Q", header[:8])
            data = f.read(length)
            (crc,) = struct.unpack("<I", f.read(4))
            if len(data) != length or crc != _masked_crc(data):
                raise ValueError(f"{path} is truncated or corrupt")
            yield data


def _slice_value(single) -> object:
    kind = single.WhichOneof("kind")
    value = getattr(single, kind)
    return value.decode() if isinstance(value, bytes) else value


def metrics_by_slice(uri: str) -> dict[str, dict[tuple, dict[str, float]]]:
    """{model name: {slice key: {metric: value}}} from an evaluation directory, with TFMA's
    naming: `<name>_diff` for a change against the baseline, `<aggregation>_<name>` for an
    aggregated metric; model-independent metrics (example_count) are added to every model.
    Slice keys are tuples of (column, value), () for the whole eval split."""
    proto = _metrics_proto()
    found: dict[str, dict[tuple, dict[str, float]]] = {}
    shared: dict[tuple, dict[str, float]] = {}
    for path in sorted(Path(uri).glob("metrics-*.tfrecord")):
        for record in tfrecords(path):
            metrics = proto.MetricsForSlice.FromString(record)
            key = tuple((s.column, _slice_value(s)) for s in metrics.slice_key.single_slice_keys)
            for kv in metrics.metric_keys_and_values:
                if kv.key.output_name or kv.key.HasField("sub_key"):
                    continue
                if not kv.value.HasField("double_value"):
                    continue
                name = kv.key.name
                if kv.key.is_diff:
                    name = f"{name}_diff"
                elif kv.key.HasField("aggregation_type"):
                    name = f"{kv.key.aggregation_type}_{name}"
                model = kv.key.model_name
                target = shared if not model else found.setdefault(model, {})
                target.setdefault(key, {})[name] = kv.value.double_value.value
    if not found:
        return {"": shared}
    for by_slice in found.values():
        for key, values in shared.items():
            by_slice.setdefault(key, {}).update(values)
    return found
