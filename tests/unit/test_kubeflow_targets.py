"""Which backend a compiled spec is for, told from the spec itself, and the one-line refusal
when it goes to the other."""

import pytest

from kubeflow.targets import KFP, TARGETS, VERTEX, check_target, target_of
from pipeline.errors import ConfigError


def _spec(*executors: dict) -> dict:
    return {
        "deploymentSpec": {"executors": {f"e{i}": e for i, e in enumerate(executors)}},
        "root": {"dag": {"tasks": {}}},
    }


CONTAINER = {"container": {"image": "i", "command": ["python"]}}
RESOLVER = {"resolver": {"outputArtifactQueries": {}}}


def test_a_spec_with_resolver_tasks_is_for_vertex_and_one_without_for_kfp():
    assert target_of(_spec(CONTAINER, RESOLVER)) == VERTEX
    assert target_of(_spec(CONTAINER)) == KFP
    assert set(TARGETS) == {"kfp", "vertex"}


def test_a_vertex_spec_sent_to_kfp_says_which_target_to_compile_with():
    with pytest.raises(ConfigError) as raised:
        check_target(_spec(CONTAINER, RESOLVER), KFP)
    message = str(raised.value)
    assert "\n" not in message
    assert "compiled for Vertex AI Pipelines (--target vertex)" in message
    assert "resolver tasks" in message
    assert message.endswith("compile it with --target kfp for open-source Kubeflow Pipelines 2.x")


def test_a_kfp_spec_sent_to_vertex_says_which_target_to_compile_with():
    with pytest.raises(ConfigError, match=r"--target kfp\).*compile it with --target vertex"):
        check_target(_spec(CONTAINER), VERTEX)
    check_target(_spec(CONTAINER), KFP)
    check_target(_spec(CONTAINER, RESOLVER), VERTEX)
