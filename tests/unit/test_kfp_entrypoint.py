"""kubeflow/entrypoint.py: the ExecutorInput open-source KFP's driver builds, with input
artifacts of an empty instance schema, gets the types the task's inputs spec declares."""

import json

from kubeflow.entrypoint import (
    INPUTS_SPEC_FLAG,
    INVOCATION_FLAG,
    delete_directory_markers,
    output_uris,
    typed_argv,
    with_input_types,
)

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


class _Blob:
    def __init__(self, bucket, name, size):
        self.bucket, self.name, self.size = bucket, name, size

    def delete(self):
        self.bucket.objects.remove(self)


class _Bucket:
    def __init__(self, objects):
        self.objects = [_Blob(self, name, size) for name, size in objects]

    def list_blobs(self, prefix):
        return [b for b in list(self.objects) if b.name.startswith(prefix)]


class _Client:
    def __init__(self, buckets):
        self.buckets = buckets

    def bucket(self, name):
        return self.buckets[name]


def test_only_zero_byte_directory_objects_under_the_outputs_are_deleted():
    bucket = _Bucket(
        [
            ("taxi/p/run/Trainer/model/", 0),
            ("taxi/p/run/Trainer/model/Format-Serving/", 0),
            ("taxi/p/run/Trainer/model/Format-Serving/saved_model.pb", 120),
            ("taxi/p/run/Trainer/model/empty.txt", 0),  # a real empty file stays
            ("taxi/p/run/Trainer/model_run/", 0),  # another output's prefix
            ("taxi/p/run/Transform/transform_graph/", 0),  # not this task's
        ]
    )
    deleted = delete_directory_markers(
        ["gs://b/taxi/p/run/Trainer/model", "s3://other/model"], _Client({"b": bucket})
    )
    assert deleted == [
        "gs://b/taxi/p/run/Trainer/model/",
        "gs://b/taxi/p/run/Trainer/model/Format-Serving/",
    ]
    assert [b.name for b in bucket.objects] == [
        "taxi/p/run/Trainer/model/Format-Serving/saved_model.pb",
        "taxi/p/run/Trainer/model/empty.txt",
        "taxi/p/run/Trainer/model_run/",
        "taxi/p/run/Transform/transform_graph/",
    ]


def test_tasks_without_gs_outputs_need_no_storage_client():
    argv = [
        INVOCATION_FLAG,
        json.dumps({"outputs": {"artifacts": {"m": {"artifacts": [{"uri": "/gcs/b/x"}]}}}}),
    ]
    assert output_uris(argv) == ["/gcs/b/x"]
    assert delete_directory_markers(output_uris(argv), client=None) == []
