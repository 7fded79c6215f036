"""Pusher executor: TFX's filesystem push, made atomic and idempotent for local serving dirs.

- Atomic: the model is copied into a hidden staging directory beside the versions and renamed
  into place, so TF Serving (which only loads numeric directory names) never sees a half-copied
  version.
- Idempotent: when the newest served version already holds exactly this model (a cached re-run
  re-blesses the same model against itself), no duplicate version is written; the push is
  recorded against the existing version.
- Serving-checked: with an `infra_blessing` (components/serving_check.py) that holds a copy of
  the model with its TF Serving warmup file, that copy is what gets pushed; the `model` input
  stays for lineage.
Remote destinations (gs://, s3://) keep TFX's own behaviour.
"""

from __future__ import annotations

from pathlib import Path

from tfx.components import Pusher as TfxPusher
from tfx.components.pusher import executor as tfx_pusher
from tfx.dsl.components.base import executor_spec
from tfx.proto import pusher_pb2
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import io_utils, path_utils, proto_utils

from components.serving_check import HAS_MODEL_KEY
from components.serving_dir import push_atomically


class Executor(tfx_pusher.Executor):
    def GetModelPath(self, input_dict) -> str:
        # TFX reads the infra blessing's model only when the Pusher has no `model` input.
        infra = input_dict.get(standard_component_specs.INFRA_BLESSING_KEY)
        if infra:
            blessing = artifact_utils.get_single_instance(infra)
            if blessing.get_int_custom_property(HAS_MODEL_KEY):
                return path_utils.stamped_model_path(blessing.uri)
        return super().GetModelPath(input_dict)

    def Do(self, input_dict, output_dict, exec_properties) -> None:
        destination = pusher_pb2.PushDestination()
        proto_utils.json_to_proto(
            exec_properties[standard_component_specs.PUSH_DESTINATION_KEY], destination
        )
        base = destination.filesystem.base_directory
        if not base or "://" in base or not self.CheckBlessing(input_dict):
            super().Do(input_dict, output_dict, exec_properties)
            return
        model_push = artifact_utils.get_single_instance(
            output_dict[standard_component_specs.PUSHED_MODEL_KEY]
        )
        model_path = self.GetModelPath(input_dict)
        served, _ = push_atomically(Path(model_path), Path(base))
        # Archive copy under the pipeline root, as TFX's Pusher does, for lineage.
        io_utils.copy_dir(model_path, model_push.uri)
        self._MarkPushed(model_push, pushed_destination=str(served), pushed_version=served.name)


class Pusher(TfxPusher):
    """TFX's Pusher with the executor above; same inputs and outputs."""

    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)
