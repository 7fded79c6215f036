"""Loads a SavedModel the way a model server does and reports how it answers; run as a script.

`components/serving_check.py` starts it as `python -I serving_probe.py` in a fresh process: TF
Serving runs the graph with no Python at all, so a model that needs TFX, tf.Transform or this
project's code at load or call time must fail here. Imports of those are refused (and reported);
only the standard library and TensorFlow load. Reads one JSON request on stdin, writes one JSON
report as the last line of stdout. It judges nothing: the check compares the report with its bar.
"""

import base64
import importlib.abc
import json
import sys
import time

# Top-level packages a model server does not have: the pipeline's own, and the libraries that
# build the model but must not be needed to serve it.
REFUSED = (
    "apache_beam",
    "components",
    "keras",
    "pipeline",
    "tensorflow_data_validation",
    "tensorflow_model_analysis",
    "tensorflow_transform",
    "tf_keras",
    "tfx",
    "tfx_bsl",
)


class _Refuse(importlib.abc.MetaPathFinder):
    def __init__(self):
        self.refused = []

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in REFUSED:
            if fullname not in self.refused:
                self.refused.append(fullname)
            raise ModuleNotFoundError(f"{fullname} is not available to a model server")
        return None


# Lines of a TensorFlow error that frame the reason rather than give it. The probe imports nothing
# of this project, so it keeps its own copy of `serving_result.tf_error_reason`'s rule.
_FRAMING = ("Graph execution error", "Detected at node", "<stack traces", "[[")


def _error(exc):
    lines = [line.strip() for line in str(getattr(exc, "message", exc)).splitlines()]
    reasons = [line for line in lines if line and not line.startswith(_FRAMING)]
    return {"type": type(exc).__name__, "message": (reasons or [""])[0]}


def _outputs(result):
    report = {}
    for key, tensor in result.items():
        values = tensor.numpy().astype("float64")
        report[key] = {
            "shape": list(values.shape),
            "finite": bool((values == values).all() and abs(values).max() < float("inf")),
            "min": float(values.min()) if values.size else None,
            "max": float(values.max()) if values.size else None,
        }
    return report


def probe(request, refuse):
    import tensorflow as tf

    # From here on: TensorFlow's own import looks for optional packages, which is not the model's
    # doing; loading and calling the model must need nothing refused.
    sys.meta_path.insert(0, refuse)
    report = {}
    started = time.perf_counter()
    try:
        model = tf.saved_model.load(request["model"])
    except Exception as exc:  # noqa: BLE001 - any failure to load is the finding
        report["load_error"] = _error(exc)
        return report
    report["load_seconds"] = round(time.perf_counter() - started, 3)
    report["signatures"] = sorted(model.signatures)
    serve = model.signatures.get(request["signature"])
    if serve is None:
        return report
    report["inputs"] = sorted(serve.structured_input_signature[1])
    examples = [base64.b64decode(e) for e in request["examples"]]
    name = request["input"]
    try:
        report["outputs"] = _outputs(serve(**{name: tf.constant(examples)}))
    except Exception as exc:  # noqa: BLE001
        report["call_error"] = _error(exc)
        return report
    report["malformed"] = {}
    for case, encoded in request["malformed"].items():
        try:
            result = serve(**{name: tf.constant([base64.b64decode(encoded)])})
            report["malformed"][case] = {"answered": _outputs(result)}
        except tf.errors.InvalidArgumentError as exc:
            report["malformed"][case] = {"rejected": _error(exc)}
        except Exception as exc:  # noqa: BLE001 - anything but a clean rejection is a finding
            report["malformed"][case] = {"failed": _error(exc)}
    # One example per call, as most online requests are; the first calls warm up.
    single = [tf.constant([e]) for e in examples]
    for e in single[:5]:
        serve(**{name: e})
    timings = []
    for i in range(request["calls"]):
        started = time.perf_counter()
        serve(**{name: single[i % len(single)]})
        timings.append((time.perf_counter() - started) * 1000)
    report["latency_ms"] = sorted(timings)
    return report


def main():
    refuse = _Refuse()
    report = probe(json.loads(sys.stdin.read()), refuse)
    report["refused_imports"] = refuse.refused
    sys.stdout.write("\n" + json.dumps(report) + "\n")


if __name__ == "__main__":
    main()
