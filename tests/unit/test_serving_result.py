"""The serving check's rules, on probe reports written by hand."""

import pytest

from components.serving_result import judge

OK = {
    "load_seconds": 0.6,
    "signatures": ["serving_default", "transform_features"],
    "inputs": ["examples"],
    "outputs": {"p": {"shape": [4, 1], "finite": True, "min": 0.01, "max": 0.97}},
    "malformed": {"fare missing": {"rejected": {"type": "InvalidArgumentError", "message": "x"}}},
    "latency_ms": [float(i) for i in range(1, 101)],
    "refused_imports": [],
}


def _with(**changes):
    return {**OK, **changes}


def test_a_model_that_answers_well_within_the_bar_is_servable():
    result = judge(OK, requests=4, max_latency_ms=100)
    assert result.blessed, result.reasons
    assert (result.latency_p50_ms, result.latency_p99_ms) == (51.0, 100.0)
    assert result.malformed == {"fare missing": "rejected: x"}
    assert "4 eval requests answered, 1 malformed rejected" in result.summary()


@pytest.mark.parametrize(
    ("report", "reason"),
    [
        (
            {"load_error": {"type": "OSError", "message": "no saved_model.pb"}},
            "the model does not load without TFX: OSError: no saved_model.pb",
        ),
        (
            _with(refused_imports=["tensorflow_transform"]),
            "loading or calling the model imported what a model server lacks: tensorflow_transform",
        ),
        (_with(signatures=["transform_features"]), "no serving_default signature"),
        (_with(inputs=["inputs"]), "serving_default takes ['inputs']"),
        (
            _with(call_error={"type": "UnknownError", "message": "pyfunc_0 not found"}),
            "serving_default failed on eval rows: UnknownError: pyfunc_0 not found",
        ),
        (
            _with(outputs={"p": {"shape": [3, 1], "finite": True, "min": 0, "max": 1}}),
            "output p has shape [3, 1] for 4 requests",
        ),
        (
            _with(outputs={"p": {"shape": [4, 1], "finite": False, "min": 0, "max": 1}}),
            "output p is not a probability",
        ),
        (
            _with(outputs={"p": {"shape": [4, 1], "finite": True, "min": -2.0, "max": 3.5}}),
            "output p is not a probability (min -2.0, max 3.5)",
        ),
        (
            _with(malformed={"fare as text": {"answered": {}}}),
            "a malformed request (fare as text) was answered instead of rejected",
        ),
        (
            _with(malformed={"junk": {"failed": {"type": "UnicodeDecodeError", "message": "m"}}}),
            "a malformed request (junk) failed with UnicodeDecodeError: m",
        ),
        (
            _with(latency_ms=[1.0] * 98 + [150.0, 150.0]),
            "single-example latency p99 150.0 ms is above the 100 ms bar",
        ),
    ],
)
def test_each_rule_refuses_with_a_reason_naming_it(report, reason):
    result = judge(report, requests=4, max_latency_ms=100)
    assert not result.blessed
    assert any(r.startswith(reason) for r in result.reasons), result.reasons
    assert reason in result.summary() and "\n" not in result.summary()
