"""Where log output goes: the absl/TFX/Beam log stream and the native stderr of TensorFlow's C++
core go to a log file, so that a command's console shows only its own lines."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path


def log_to_file(log_dir: Path, verbose: bool) -> Path:
    from absl import logging as absl_logging

    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / f"run-{time.strftime('%Y%m%d-%H%M%S')}.log"
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    if not verbose:
        for h in list(root.handlers):
            root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # Deprecation and "Python version" notices from Google client libraries belong in the log.
    logging.captureWarnings(True)
    # absl writes "WARNING: Logging before flag parsing" to stderr unless told it is set up.
    absl_logging.use_python_logging(quiet=True)
    absl_logging.set_verbosity(absl_logging.INFO)
    return path


def quiet_libraries() -> None:
    """For commands that only read results: library deprecation notices and absl/TF info logs
    are not for their user."""
    import warnings

    from absl import logging as absl_logging

    warnings.filterwarnings("ignore")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    absl_logging.set_verbosity(absl_logging.ERROR)
    absl_logging.use_python_logging(quiet=True)


@contextmanager
def native_stderr_to(path: Path, enabled: bool = True):
    """Points file descriptor 2 at the log file, for output that bypasses Python logging: the C++
    cores of TensorFlow and TFDV write their warnings straight to it."""
    if not enabled:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def command_log(directory: Path | None, command: str) -> Path:
    """The log file of a command that does not run the pipeline: `DIR/logs/COMMAND.log` when
    `directory` exists (the output directory it reads), else one in the temporary directory, so
    that a mistyped path creates nothing."""
    if directory is not None and directory.is_dir():
        path = directory / "logs" / f"{command}.log"
        path.parent.mkdir(exist_ok=True)
        return path
    return Path(tempfile.gettempdir()) / f"taxi-pipeline-{command}.log"
