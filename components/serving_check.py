"""ServingCheck: will a model server load this model and answer with it? Asked before the push.

TFX's InfraValidator answers this by starting TF Serving in Docker. Without either, the check
loads the candidate in a fresh Python process that may import TensorFlow and nothing of TFX,
tf.Transform or this project (`serving_probe.py`), which is what TF Serving's C++ runtime has:
a model whose graph leans on Python code fails here as it would there. The probe sends
`serving_default` real requests (eval-split rows reduced to the serving columns) and malformed
ones, and times single-example calls; the check blesses the model only if

- it loads, and `serving_default` takes serialized tf.Examples as `examples`;
- every real request gets finite probabilities in [0, 1], one row per example;
- every malformed request (a required feature missing, a number sent as text, bytes that are no
  tf.Example) is rejected as an invalid argument, not answered and not crashed on;
- the 99th percentile of single-example latency is within the bar (`--max-latency-ms`).

A blessed model is copied into the blessing with TF Serving's warmup file
(`assets.extra/tf_serving_warmup_requests`: PredictionLog records of the real requests), the
layout TFX's own Pusher reads (`has_model`); our Pusher pushes that copy, and only when the
Evaluator blessed the model too.
"""

# No `from __future__ import annotations`: TFX reads this component's type hints at runtime.
import base64
import json
import os
import subprocess
import sys
from dataclasses import asdict

from tfx.dsl.component.experimental.annotations import InputArtifact, OutputArtifact, Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.types.standard_artifacts import Examples, InfraBlessing, Model, Schema

from components import serving_probe
from components.features import CONTRACT
from components.serving_result import (
    REPORT_FILE,
    SERVING_INPUT,
    SIGNATURE,
    ServingResult,
    judge,
)

REQUESTS = 32  # real requests sent, and written as warmup records
LATENCY_CALLS = 200
PROBE_TIMEOUT_S = 600
# The InfraBlessing's custom properties, as TFX's InfraValidator and Pusher name them.
BLESSED_KEY = "blessed"
HAS_MODEL_KEY = "has_model"


def request_examples(examples_uri: str, split: str = "eval", contract=CONTRACT) -> list[bytes]:
    """The first eval rows as a client would send them: serving columns only (no label)."""
    import tensorflow as tf

    files = sorted(tf.io.gfile.glob(os.path.join(examples_uri, f"Split-{split}", "*")))
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP").take(REQUESTS)
    keep = contract.serving_columns()
    requests = []
    for record in dataset:
        example = tf.train.Example.FromString(record.numpy())
        for name in list(example.features.feature):
            if name not in keep:
                del example.features.feature[name]
        requests.append(example.SerializeToString())
    return requests


def malformed_requests(example: bytes, schema) -> dict[str, bytes]:
    """Requests a server must refuse, made from one real request: a required feature left out,
    a number sent as text, and bytes that do not parse as a tf.Example."""
    import tensorflow as tf
    from tensorflow_metadata.proto.v0 import schema_pb2

    parsed = tf.train.Example.FromString(example)
    present = parsed.features.feature
    required = [
        f
        for f in schema.feature
        if f.HasField("shape") and "SERVING" not in f.not_in_environment and f.name in present
    ]
    cases = {"bytes that are no tf.Example": b"not a tf.Example"}
    if required:
        missing = tf.train.Example.FromString(example)
        del missing.features.feature[required[0].name]
        cases[f"{required[0].name} missing"] = missing.SerializeToString()
    numeric = [f for f in required if f.type in (schema_pb2.FLOAT, schema_pb2.INT)]
    if numeric:
        wrong = tf.train.Example.FromString(example)
        wrong.features.feature[numeric[0].name].Clear()
        wrong.features.feature[numeric[0].name].bytes_list.value.append(b"twelve")
        cases[f"{numeric[0].name} sent as text"] = wrong.SerializeToString()
    return cases


def run_probe(model_dir: str, requests: list[bytes], malformed: dict[str, bytes]) -> dict:
    """The probe's report, or a load_error describing how its process failed."""
    request = {
        "model": model_dir,
        "signature": SIGNATURE,
        "input": SERVING_INPUT,
        "examples": [base64.b64encode(e).decode() for e in requests],
        "malformed": {k: base64.b64encode(v).decode() for k, v in malformed.items()},
        "calls": LATENCY_CALLS,
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "TF_USE_LEGACY"))}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    try:
        proc = subprocess.run(
            [sys.executable, "-I", serving_probe.__file__],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            env=env,
            timeout=PROBE_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        message = f"no answer within {PROBE_TIMEOUT_S} s"
        return {"load_error": {"type": "Timeout", "message": message}}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        last = (proc.stderr.strip().splitlines() or [""])[-1]
        message = f"the serving process exited with code {proc.returncode}: {last}"
        return {"load_error": {"type": "ProcessError", "message": message}}
    return json.loads(lines[-1])


def write_warmup(model_dir: str, requests: list[bytes], target: str) -> None:
    """Copies the model to `target` with TF Serving's warmup file: one PredictRequest per
    real request, which TF Serving replays at load so the first client call is not slow."""
    import tensorflow as tf
    from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2
    from tfx.utils import io_utils, path_utils

    io_utils.copy_dir(model_dir, target)
    warmup = path_utils.warmup_file_path(target)
    tf.io.gfile.makedirs(os.path.dirname(warmup))  # assets.extra/
    with tf.io.TFRecordWriter(warmup) as writer:
        for example in requests:
            request = predict_pb2.PredictRequest(
                model_spec=model_pb2.ModelSpec(signature_name=SIGNATURE)
            )
            request.inputs[SERVING_INPUT].CopyFrom(tf.make_tensor_proto([example], tf.string))
            log = prediction_log_pb2.PredictionLog(
                predict_log=prediction_log_pb2.PredictLog(request=request)
            )
            writer.write(log.SerializeToString())


def check(model_dir: str, requests: list[bytes], schema, max_latency_ms: float) -> ServingResult:
    if not requests:
        return ServingResult(reasons=["the eval split has no rows to send as requests"])
    report = run_probe(model_dir, requests, malformed_requests(requests[0], schema))
    return judge(report, len(requests), max_latency_ms)


@component
def ServingCheck(
    model: InputArtifact[Model],
    examples: InputArtifact[Examples],
    schema: InputArtifact[Schema],
    blessing: OutputArtifact[InfraBlessing],
    max_latency_ms: Parameter[float] = 100.0,
    code_version: Parameter[str] = "",  # keys the cache only (pipeline/code_version.py)
) -> None:
    from tensorflow_metadata.proto.v0 import schema_pb2
    from tfx.utils import io_utils, path_utils

    schema_proto = io_utils.parse_pbtxt_file(
        os.path.join(schema.uri, "schema.pbtxt"), schema_pb2.Schema()
    )
    model_dir = path_utils.serving_model_path(model.uri)
    requests = request_examples(examples.uri)
    result = check(model_dir, requests, schema_proto, max_latency_ms)
    io_utils.write_string_file(
        os.path.join(blessing.uri, REPORT_FILE), json.dumps(asdict(result), indent=2)
    )
    # TFX's marker files, so tools that look for them find the verdict.
    marker = "INFRA_BLESSED" if result.blessed else "INFRA_NOT_BLESSED"
    io_utils.write_string_file(os.path.join(blessing.uri, marker), "")
    blessing.set_int_custom_property(BLESSED_KEY, int(result.blessed))
    blessing.set_string_custom_property("summary", result.summary())
    if result.blessed:
        write_warmup(model_dir, requests, path_utils.stamped_model_path(blessing.uri))
        blessing.set_int_custom_property(HAS_MODEL_KEY, 1)
