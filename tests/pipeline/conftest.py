"""The end-to-end runs, shared by the e2e modules.

`runs`: seven runs of the CLI on a slice of the sample. Into one output directory: a fresh run that
must bless and push; an identical one, answered from ML Metadata without running anything; one
with only the AUC bar lowered, served from TFX's cache, that must not push a duplicate; a run
with an unreachable AUC bar that must not bless and must leave the serving directory alone; a run
with an unreachable serving-latency bar, the same. Into a second one: the subclassed model with
the custom training loop, tuned first (three trials) and scoring the data at the end, twice.

`served`: an output directory with a blessed, pushed model from good data, which the bad-input
and fault tests try to damage.
"""

import pytest

from pipeline.runs.records import latest_run
from tests.helpers import read_sample, run_pipeline, write_csv

TRAIN_ROWS = 5000
SERVED_ROWS = 2000


@pytest.fixture(scope="session")
def sample_rows():
    return read_sample()[1]


@pytest.fixture(scope="session")
def runs(tmp_path_factory, sample_rows):
    root = tmp_path_factory.mktemp("e2e")
    header = read_sample()[0]
    data = write_csv(root / "data", header, sample_rows[:TRAIN_ROWS])
    output = root / "out"
    results = {}
    toolbox = ("--model-api", "subclassed", "--training-loop", "custom", "--tune", "3")
    toolbox += ("--predict-data", str(data), "--predict-keys", "company")
    for name, extra, out in (
        ("first", (), output),
        ("unchanged", (), output),
        # Only the Evaluator's config differs: everything before it comes from TFX's cache.
        ("cached", ("--min-auc", "0.8"), output),
        ("strict", ("--min-auc", "0.999"), output),
        ("slow", ("--max-latency-ms", "0.001"), output),
        ("toolbox", toolbox, root / "toolbox"),
        ("toolbox-again", toolbox, root / "toolbox"),
    ):
        proc = run_pipeline(data, out, *extra, train_steps=300, eval_steps=50)
        results[name] = (
            proc,
            latest_run(out / "metadata.sqlite"),
            sorted(p.name for p in (out / "serving").glob("*")),
        )
    return output, results


@pytest.fixture(scope="session")
def served_sample():
    header, rows = read_sample()
    return header, rows[:SERVED_ROWS]


@pytest.fixture(scope="session")
def served(tmp_path_factory, served_sample):
    """(root for the tests' data, output directory with a blessed, pushed model)."""
    header, rows = served_sample
    root = tmp_path_factory.mktemp("served")
    output = root / "out"
    proc = run_pipeline(write_csv(root / "good", header, rows), output)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert latest_run(output / "metadata.sqlite").pushed_to
    return root, output
