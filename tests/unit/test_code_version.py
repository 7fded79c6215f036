"""Code digests key the cache: a component runs again when the code it runs changes, and only
then."""

import json

from pipeline import nodes
from pipeline.code_version import NODE_MODULES, code_digest, code_versions
from pipeline.config import local_config
from pipeline.factory import create_pipeline
from tests.helpers import DATA_CSV


def _package(root, files: dict[str, str]):
    for name, text in files.items():
        path = root / "components" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_digest_follows_the_modules_a_component_imports_and_nothing_else(tmp_path):
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "trainer.py": "from components import model\nfrom components.export import x\n",
            "model.py": "import tensorflow\nLAYERS = 2\n",
            "export.py": "x = 1\n",
            "example_gen.py": "import components.csv_files\n",
            "csv_files.py": "DELIMITER = ','\n",
        },
    )
    before = {m: code_digest(f"components.{m}", root) for m in ("trainer", "example_gen")}
    (root / "components" / "model.py").write_text("import tensorflow\nLAYERS = 3\n")
    assert code_digest("components.trainer", root) != before["trainer"]
    assert code_digest("components.example_gen", root) == before["example_gen"]
    (root / "components" / "csv_files.py").write_text("DELIMITER = ';'\n")
    assert code_digest("components.example_gen", root) != before["example_gen"]
    (root / "components" / "export.py").write_text("x = 2\n")
    assert code_digest("components.trainer", root) != code_digest("components.example_gen", root)


def test_every_component_with_our_code_carries_its_digest_in_its_exec_properties(tmp_path):
    versions = code_versions()
    assert set(versions) == set(NODE_MODULES)
    assert len(set(versions.values())) == len(versions)  # each its own code
    config = local_config(output_dir=tmp_path, tune_trials=2, predict_data_dir=str(DATA_CSV.parent))
    assert config.code_versions == versions
    by_id = {c.id: c for c in create_pipeline(config).components}
    for node, digest in versions.items():
        properties = json.dumps(by_id[node].exec_properties, default=str)
        assert digest in properties, node
    assert (
        json.loads(by_id[nodes.TRAINER].exec_properties["custom_config"])["code_version"]
        == (versions[nodes.TRAINER])
    )
