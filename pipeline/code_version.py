"""A digest of the code each component runs, so that editing it invalidates that component's cache.

TFX's cache key holds a component's inputs and exec properties. User code named by a dotted path
(`run_fn`, `preprocessing_fn`) or living in a custom executor is neither: edit
`components/model.py`, run again, and the Trainer is reused from the cache, trained by the old
code. The factory passes each component the digest of its module and of every `components.*`
module that module imports (transitively) as an exec property, so exactly the components whose
code changed run again: an edit to the model re-runs the Trainer, not ExampleGen.
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

from pipeline import nodes

PACKAGE = "components"

# The module whose code each node runs (nodes not listed run only TFX's code).
NODE_MODULES = {
    nodes.EXAMPLE_GEN: "components.example_gen",
    nodes.DATA_GATE: "components.data_gate",
    nodes.TRANSFORM: "components.preprocessing",
    nodes.TUNER: "components.tuning",
    nodes.TRAINER: "components.trainer",
    nodes.SERVING_CHECK: "components.serving_check",
    nodes.PUSHER: "components.pusher",
    nodes.BATCH_INFERENCE: "components.batch_step",
}


def package_root() -> Path:
    """The directory holding the `components` package (a checkout, or site-packages)."""
    return Path(__file__).resolve().parents[1]


def _source(module: str, root: Path) -> Path | None:
    base = root.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imported(path: Path, root: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from components import csv_files` imports a module, not a name.
            found.update(
                f"{node.module}.{a.name}"
                for a in node.names
                if _source(f"{node.module}.{a.name}", root)
            )
    return {m for m in found if m == PACKAGE or m.startswith(PACKAGE + ".")}


def code_digest(module: str, root: Path | None = None) -> str:
    """sha256 of the source of `module` and of the package modules it imports, transitively."""
    root = root or package_root()
    seen: dict[str, Path] = {}
    pending = [module]
    while pending:
        name = pending.pop()
        path = _source(name, root)
        if name in seen or path is None:
            continue
        seen[name] = path
        pending.extend(_imported(path, root))
    digest = hashlib.sha256()
    for name in sorted(seen):
        digest.update(name.encode() + b"\0" + seen[name].read_bytes())
    return digest.hexdigest()[:16]


def code_versions(root: Path | None = None) -> dict[str, str]:
    """{node id: digest of its code}, for the factory."""
    return {node: code_digest(module, root) for node, module in NODE_MODULES.items()}
