"""The command of every task in a `--target kfp` spec: TFX's Kubeflow v2 container entrypoint,
handed the input artifact types open-source KFP leaves out.

KFP 2.0.5's driver passes each input artifact with an empty instance schema
(`backend/src/v2/metadata/client.go`, GetOutputArtifactsByExecutionId: `Schema: ""`, a TODO),
and TFX's entrypoint picks the artifact's Python class from that schema, so it fails on the
first input. The types are in the spec already: TFX's compiler passes each task's inputs spec
beside the ExecutorInput (`--json_serialized_inputs_spec_args`). An input without a type gets
the one its spec declares; everything else is TFX's entrypoint, run as its own `__main__`.

After a task succeeds, the zero-byte "directory" objects TensorFlow's GCS file system leaves
under its gs:// outputs are deleted: KFP's launcher downloads every input artifact object by
object, and such an object becomes a file where the next download needs a directory
(kubeflow/pipelines#13476, as kfp-operator's TFX patch list reports it).
"""

from __future__ import annotations

import json
import os
import runpy
import sys

TFX_ENTRYPOINT = "tfx.orchestration.kubeflow.v2.container.kubeflow_v2_run_executor"
INVOCATION_FLAG = "--json_serialized_invocation_args"
INPUTS_SPEC_FLAG = "--json_serialized_inputs_spec_args"


def with_input_types(executor_input: dict, inputs_spec: dict) -> dict:
    """`executor_input` with each untyped input artifact typed as `inputs_spec` declares it."""
    declared = inputs_spec.get("artifacts", {})
    for key, listed in executor_input.get("inputs", {}).get("artifacts", {}).items():
        artifact_type = declared.get(key, {}).get("artifactType")
        for artifact in listed.get("artifacts", []):
            given = artifact.get("type") or {}
            if artifact_type and not (given.get("schemaTitle") or given.get("instanceSchema")):
                artifact["type"] = artifact_type
    return executor_input


def _flag_index(argv: list[str], flag: str) -> int | None:
    return argv.index(flag) + 1 if flag in argv and argv.index(flag) + 1 < len(argv) else None


def typed_argv(argv: list[str]) -> list[str]:
    """The task's arguments with the ExecutorInput's input types filled in."""
    argv = list(argv)
    invocation, spec = _flag_index(argv, INVOCATION_FLAG), _flag_index(argv, INPUTS_SPEC_FLAG)
    if invocation is not None and spec is not None:
        executor_input = with_input_types(json.loads(argv[invocation]), json.loads(argv[spec]))
        argv[invocation] = json.dumps(executor_input)
    return argv


def output_uris(argv: list[str]) -> list[str]:
    index = _flag_index(argv, INVOCATION_FLAG)
    if index is None:
        return []
    outputs = json.loads(argv[index]).get("outputs", {}).get("artifacts", {})
    return [a["uri"] for listed in outputs.values() for a in listed.get("artifacts", [])]


def delete_directory_markers(uris: list[str], client=None) -> list[str]:
    """Deletes the zero-byte objects whose names end in "/" under the gs:// `uris`; returns
    their gs:// names."""
    uris = [u for u in uris if u.startswith("gs://")]
    if not uris:
        return []
    if client is None:
        from google.cloud import storage

        client = storage.Client()
    deleted = []
    for uri in uris:
        bucket_name, _, prefix = uri.removeprefix("gs://").partition("/")
        bucket = client.bucket(bucket_name)
        for blob in bucket.list_blobs(prefix=prefix.rstrip("/") + "/"):
            if blob.size == 0 and blob.name.endswith("/"):
                blob.delete()
                deleted.append(f"gs://{bucket_name}/{blob.name}")
    return deleted


def main() -> None:
    # TFX 1.16 needs Keras 2 behind tf.keras (the image sets it too).
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    argv = typed_argv(sys.argv[1:])
    sys.argv = [sys.argv[0], *argv]
    try:
        runpy.run_module(TFX_ENTRYPOINT, run_name="__main__", alter_sys=True)
    except SystemExit as done:  # absl's app.run ends with sys.exit
        if done.code in (0, None):
            delete_directory_markers(output_uris(argv))
        raise


if __name__ == "__main__":
    main()
