"""Only tf.keras (tf_keras under TFX 1.16): standalone Keras 3 objects break Transform and TFMA."""

import ast
import subprocess
import sys

from tests.helpers import REPO_ROOT

PACKAGES = ("components", "pipeline", "kubeflow", "benchmarks", "tests")


def _keras_imports(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "keras"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "keras":
                found.append(node.module)
    return found


def test_the_check_catches_standalone_keras_imports():
    assert _keras_imports("import keras\nfrom keras import layers\nimport keras.ops as k") == [
        "keras",
        "keras",
        "keras.ops",
    ]
    assert _keras_imports("import tensorflow as tf\nfrom tf_keras import layers") == []


def test_no_module_imports_standalone_keras():
    offenders = {}
    for package in PACKAGES:
        for path in (REPO_ROOT / package).rglob("*.py"):
            if found := _keras_imports(path.read_text()):
                offenders[str(path.relative_to(REPO_ROOT))] = found
    assert offenders == {}


def test_building_the_model_loads_tf_keras_and_not_keras_3():
    code = (
        "import os, sys\n"
        "os.environ['TF_USE_LEGACY_KERAS'] = '1'\n"
        "import tf_keras\n"
        "from components.model import build_model\n"
        "from components.hparams import ModelParams\n"
        "for api in ('functional', 'subclassed'):\n"
        "    assert isinstance(build_model(ModelParams(model_api=api)), tf_keras.Model), api\n"
        "print('keras' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False"]
