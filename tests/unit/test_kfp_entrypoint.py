"""kubeflow/entrypoint.py: the ExecutorInput open-source KFP's driver builds, with input
artifacts of an empty instance schema, gets the types the task's inputs spec declares."""

import json

from kubeflow.entrypoint import INPUTS_SPEC_FLAG, INVOCATION_FLAG, typed_argv, with_input_types

EXAMPLES = {"instanceSchema": "title: tfx.Examples\ntype: object\n"}
SCHEMA = {"schemaTitle": "tfx.Schema"}


def _input(artifact_type):
    return {"name": "7", "uri": "gs://b/x", "metadata": {"span": 0.0}, "type": artifact_type}


def test_untyped_inputs_get_the_declared_type_and_typed_ones_keep_theirs():
    executor_input = {
        "inputs": {
            "artifacts": {
                "examples": {"artifacts": [_input({"instanceSchema": ""})]},
                "schema": {"artifacts": [_input(SCHEMA)]},
                "undeclared": {"artifacts": [_input({})]},
            }
        }
    }
    spec = {
        "artifacts": {
            "examples": {"artifactType": EXAMPLES},
            "schema": {"artifactType": {"schemaTitle": "tfx.Other"}},
        }
    }
    typed = with_input_types(executor_input, spec)["inputs"]["artifacts"]
    assert typed["examples"]["artifacts"][0]["type"] == EXAMPLES
    assert typed["examples"]["artifacts"][0]["name"] == "7"
    assert typed["schema"]["artifacts"][0]["type"] == SCHEMA
    assert typed["undeclared"]["artifacts"][0]["type"] == {}


def test_only_the_invocation_argument_changes():
    executor_input = {"inputs": {"artifacts": {"examples": {"artifacts": [_input(None)]}}}}
    spec = {"artifacts": {"examples": {"artifactType": EXAMPLES}}}
    argv = [
        "--executor_class_path",
        "x.Y",
        INVOCATION_FLAG,
        json.dumps(executor_input),
        INPUTS_SPEC_FLAG,
        json.dumps(spec),
        "--direct_num_workers=1",
    ]
    out = typed_argv(argv)
    assert out[:3] == argv[:3] and out[4:] == argv[4:]
    artifact = json.loads(out[3])["inputs"]["artifacts"]["examples"]["artifacts"][0]
    assert artifact["type"] == EXAMPLES


def test_tasks_without_an_inputs_spec_pass_through():
    argv = ["--executor_class_path", "x.Y", INVOCATION_FLAG, "{}"]
    assert typed_argv(argv) == argv
