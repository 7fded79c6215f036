"""The errors every entry point turns into one line for the user and an exit code.

Errors raised inside TFX components (the data gate's `DataValidationError`) live with the
component code in `components/`, which does not import `pipeline/`.
"""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration problem: exit 2."""


class InputError(Exception):
    """Input a read-only command cannot use (no runs, no CSV, no such label): exit 2."""


class RunLockedError(RuntimeError):
    """Another run holds the output directory: exit 3."""


class SubmitError(RuntimeError):
    """A Kubeflow / Vertex submission problem: exit 1."""
