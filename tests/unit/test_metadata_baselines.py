"""The baselines `--target kfp` looks up in ML Metadata, on a store written the way KFP 2.0.5's
launcher writes it (backend/src/v2/metadata: types named by schema title, custom properties
converted from the task's JSON metadata, outputs attributed to the `system.Pipeline` context)."""

import pytest
from ml_metadata.proto import metadata_store_pb2 as mlmd

from components import metadata_baselines as mb
from components.data_gate import ValidatedStatistics
from tests.kubeflow.kfp_launcher import mlmd_value, store_at

PIPELINE = "taxi-big-tipper"


class KfpStore:
    """Writes artifacts as KFP's launcher records a task's outputs."""

    def __init__(self, path):
        self.store = store_at(path)
        context_type = self.store.put_context_type(mlmd.ContextType(name="system.Pipeline"))
        self.contexts = {}
        for name in (PIPELINE, "another-pipeline"):
            context = mlmd.Context(type_id=context_type, name=name)
            [context.id] = self.store.put_contexts([context])
            self.contexts[name] = context
        self.execution_type = self.store.put_execution_type(
            mlmd.ExecutionType(name="system.ContainerExecution")
        )

    def output(self, title, uri, pipeline=PIPELINE, state=mlmd.Artifact.LIVE, **metadata):
        type_id = self.store.put_artifact_type(mlmd.ArtifactType(name=title))
        artifact = mlmd.Artifact(type_id=type_id, uri=uri, state=state)
        for key, value in metadata.items():  # JSON numbers arrive as doubles, text as strings
            artifact.custom_properties[key].CopyFrom(mlmd_value(value))
        execution = mlmd.Execution(
            type_id=self.execution_type, last_known_state=mlmd.Execution.COMPLETE
        )
        event = mlmd.Event(type=mlmd.Event.OUTPUT)
        _, [artifact_id], _ = self.store.put_execution(
            execution, [(artifact, event)], [self.contexts[pipeline]]
        )
        return artifact_id

    def model(self, uri, **kw):
        return self.output("tfx.Model", uri, **kw)

    def blessing(self, model_id, blessed, **kw):
        # TFX's container entrypoint writes current_model_id as the input's name: KFP's id.
        return self.output(
            "tfx.ModelBlessing",
            f"/b/{model_id}",
            blessed=blessed,
            current_model_id=str(model_id),
            **kw,
        )


@pytest.fixture
def kfp(tmp_path):
    return KfpStore(tmp_path / "mlmd.sqlite")


def test_nothing_is_found_before_the_first_run(kfp):
    assert mb.latest_blessed_model(kfp.store, PIPELINE) is None
    assert mb.latest_validated_statistics(kfp.store, PIPELINE, ValidatedStatistics) is None
    assert mb.latest_blessed_model(kfp.store, "never-ran") is None


def test_the_newest_blessed_model_of_this_pipeline_is_the_baseline(kfp):
    first = kfp.model("/m/1")
    kfp.blessing(first, blessed=1)
    second = kfp.model("/m/2")
    kfp.blessing(second, blessed=0)  # evaluated, not blessed: not a baseline
    kfp.blessing(kfp.model("/m/other", pipeline="another-pipeline"), 1, pipeline="another-pipeline")
    kfp.model("/m/3")  # trained, its Evaluator never finished
    found = mb.latest_blessed_model(kfp.store, PIPELINE)
    assert (found.id, found.uri, found.type_name) == (first, "/m/1", "Model")

    third = kfp.model("/m/4")
    kfp.blessing(third, blessed=1)
    assert mb.latest_blessed_model(kfp.store, PIPELINE).uri == "/m/4"


def test_a_deleted_model_is_not_a_baseline(kfp):
    kept = kfp.model("/m/1")
    kfp.blessing(kept, blessed=1)
    gone = kfp.model("/m/2", state=mlmd.Artifact.DELETED)
    kfp.blessing(gone, blessed=1)
    assert mb.latest_blessed_model(kfp.store, PIPELINE).uri == "/m/1"


def test_the_newest_validated_statistics_of_this_pipeline_are_the_drift_baseline(kfp):
    title = mb.schema_title(ValidatedStatistics)
    assert title == "components.ValidatedStatistics"
    kfp.output(title, "/s/1", split_names='["train", "eval"]')
    kfp.output(title, "/s/2")
    kfp.output(title, "/s/other", pipeline="another-pipeline")
    kfp.output("tfx.ExampleStatistics", "/s/not-validated")
    found = mb.latest_validated_statistics(kfp.store, PIPELINE, ValidatedStatistics)
    assert (found.uri, found.type_name) == ("/s/2", ValidatedStatistics.TYPE_NAME)


def test_the_store_is_the_emulated_one_or_kfps_service(tmp_path, monkeypatch, kfp):
    monkeypatch.setenv(mb.SQLITE_ENV, str(tmp_path / "mlmd.sqlite"))
    kfp.blessing(kfp.model("/m/1"), blessed=1)
    assert mb.latest_blessed_model(mb.connect(), PIPELINE).uri == "/m/1"
    # Without the emulated store: KFP's service address, from the pod's environment.
    monkeypatch.delenv(mb.SQLITE_ENV)
    monkeypatch.setenv(mb.KFP_HOST_ENV, "127.0.0.1")
    monkeypatch.setenv(mb.KFP_PORT_ENV, "9")  # nothing listens: the client says so when asked
    store = mb.connect()
    with pytest.raises(Exception, match=r"(?i)unavailable|connect|failed"):
        store.get_artifact_types()
