"""The pipeline's Beam jobs on a real local cluster (Flink, and Spark): the run completes,
blesses and pushes; the cluster reports its jobs finished; and the outputs equal the
DirectRunner's on the same slice: rows per split, statistics per feature, vocabularies byte
for byte, Transform's analyzer outputs within 1e-6."""

import numpy as np
import pytest

from components.features import CONTRACT
from pipeline import nodes
from tests.helpers import csv_to_examples, read_sample

pytestmark = [pytest.mark.e2e, pytest.mark.cluster]

RUNNERS = ["flink", "spark"]
# CsvExampleGen, StatisticsGen, Transform, Evaluator: one or more cluster jobs each.
BEAM_COMPONENTS = 4


@pytest.fixture(params=RUNNERS)
def cluster_run(request):
    return request.param, request.getfixturevalue(f"{request.param}_run")


def _statistics(outcome) -> dict:
    from pipeline.runs import artifacts

    return artifacts.statistics(outcome)


def _per_feature_counts(stats) -> dict[str, int]:
    counts = {}
    for feature in stats.features:
        common = next(
            getattr(feature, kind).common_stats
            for kind in ("num_stats", "string_stats", "bytes_stats")
            if feature.HasField(kind)
        )
        counts[feature.path.step[0]] = (common.num_non_missing, common.num_missing)
    return counts


def _transform_dir(outcome):
    from pathlib import Path

    artifact = outcome.nodes[nodes.TRANSFORM].output("TransformGraph")
    return Path(artifact.uri)


def _analyzer_constants(transform_dir) -> dict[str, np.ndarray]:
    """Every float constant of the transform graph: the means, variances and quantile
    boundaries the analyzers computed (tf.Transform bakes them into the graph as constants)."""
    import tensorflow as tf
    from tensorflow.core.protobuf import saved_model_pb2

    saved = saved_model_pb2.SavedModel.FromString(
        (transform_dir / "transform_fn" / "saved_model.pb").read_bytes()
    )
    graph = saved.meta_graphs[0].graph_def
    found = {}
    for node in [*graph.node, *(n for f in graph.library.function for n in f.node_def)]:
        if node.op == "Const" and node.attr["dtype"].type == tf.float32.as_datatype_enum:
            found[node.name] = tf.make_ndarray(node.attr["value"].tensor)
    return found


def test_the_run_completes_blessed_and_pushed(cluster_run):
    _, (proc, output, outcome, _) = cluster_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert outcome.blessed is True
    assert outcome.pushed_to.startswith(str(output / "serving"))
    assert set(outcome.states.values()) <= {"COMPLETE", "EMPTY"}


def test_the_cluster_lists_the_pipelines_jobs_as_finished(cluster_run):
    _, (proc, _, _, jobs) = cluster_run
    assert proc.returncode == 0, proc.stderr
    assert len(jobs) >= BEAM_COMPONENTS, jobs
    assert set(jobs.values()) == {"FINISHED"}, jobs


def test_rows_and_statistics_equal_the_direct_runs(cluster_run, direct_run):
    _, (_, _, outcome, _) = cluster_run
    direct = _statistics(direct_run[2])
    on_cluster = _statistics(outcome)
    assert {s: int(d.num_examples) for s, d in on_cluster.items()} == {
        s: int(d.num_examples) for s, d in direct.items()
    }
    for split in direct:
        assert _per_feature_counts(on_cluster[split]) == _per_feature_counts(direct[split])


def test_vocabularies_are_byte_identical(cluster_run, direct_run):
    _, (_, _, outcome, _) = cluster_run
    ours = _transform_dir(outcome) / "transform_fn" / "assets"
    theirs = _transform_dir(direct_run[2]) / "transform_fn" / "assets"
    names = sorted(p.name for p in theirs.iterdir())
    assert names == sorted(p.name for p in ours.iterdir())
    assert {f.name for f in CONTRACT.features if f.kind.name == "VOCAB"} <= set(names)
    for name in names:
        assert (ours / name).read_bytes() == (theirs / name).read_bytes(), name


def test_analyzer_outputs_agree_within_1e_6(cluster_run, direct_run):
    """Relative 1e-6: a float32 mean near 50 has a spacing of 3.8e-6, and a cluster sums in
    another order than the DirectRunner (measured: 3.8e-6 and 7.6e-6 apart, 1.5e-7 relative)."""
    _, (_, _, outcome, _) = cluster_run
    ours = _analyzer_constants(_transform_dir(outcome))
    theirs = _analyzer_constants(_transform_dir(direct_run[2]))
    assert ours.keys() == theirs.keys()
    assert len(theirs) >= 10  # means, variances, quantile boundaries of the contract's features
    for name, value in theirs.items():
        np.testing.assert_allclose(ours[name], value, rtol=1e-6, atol=1e-6, err_msg=name)


def test_the_pushed_model_scores_raw_examples(cluster_run, schema):
    import tensorflow as tf

    from tests.cluster.conftest import ROWS

    _, (_, _, outcome, _) = cluster_run
    model = tf.saved_model.load(outcome.pushed_to)
    unseen = read_sample()[1][ROWS : ROWS + 500]
    examples = tf.constant(csv_to_examples(unseen, schema, drop=(CONTRACT.label.numerator,)))
    out = model.signatures["serving_default"](examples=examples)
    scores = out[CONTRACT.label.prediction_key].numpy()
    assert scores.shape == (500, 1)
    labels = [float(r["tips"]) > CONTRACT.label.ratio * float(r["fare"]) for r in unseen]
    auc = tf.keras.metrics.AUC()
    auc.update_state(labels, scores)
    assert auc.result().numpy() > 0.85


def test_a_failing_flink_job_is_one_line_with_the_job_id_and_nothing_is_pushed(
    flink_cluster, tmp_path
):
    import re

    from cluster.jobs import flink_jobs
    from pipeline.runs.records import latest_run
    from tests.helpers import run_pipeline, write_csv

    header, rows = read_sample()
    data = write_csv(tmp_path / "data", header, rows[:300])
    with open(data / "trips.csv", "a") as f:
        f.write("1,2,3\n")  # a row with too few fields fails inside the Flink job
    output = tmp_path / "out"
    proc = run_pipeline(data, output, "--beam-runner", "flink", train_steps=10, eval_steps=5)
    assert proc.returncode == 1
    (line,) = proc.stderr.strip().splitlines()
    found = re.match(
        r"error: pipeline failed in CsvExampleGen: flink job ([0-9a-f]{32}) FAILED: "
        + re.escape(f"data file {data / 'trips.csv'} line 302: 3 fields where the header has 18 ")
        + r"\(flink logs (\S+), run log (\S+)\); nothing was pushed$",
        line,
    )
    assert found, line
    job, logs, run_log = found.groups()
    assert {j["jid"]: j["state"] for j in flink_jobs()}[job] == "FAILED"
    assert run_log.startswith(str(output / "logs"))
    from cluster.local import Layout, home

    assert logs == str(Layout(home(), "flink").logs)
    outcome = latest_run(output / "metadata.sqlite")
    assert nodes.TRAINER not in outcome.nodes
    assert not (output / "serving").exists()
