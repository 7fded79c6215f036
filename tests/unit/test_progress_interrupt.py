"""A Ctrl-C that a library swallowed still stops the run at the next component boundary."""

import io
import logging

import pytest

from pipeline.local.progress import Progress


def _record(msg: str, node: str) -> logging.LogRecord:
    return logging.LogRecord("absl", logging.INFO, __file__, 1, msg, (node,), None)


def test_a_remembered_interrupt_is_raised_at_the_next_component_line(tmp_path):
    progress = Progress(str(tmp_path / "none.sqlite"), total=3, out=io.StringIO())
    progress.emit(_record("Component %s is running.", "Transform"))
    progress.interrupted = True
    progress.emit(_record("interrupted by the user (Ctrl-C)", "x"))  # other records pass
    with pytest.raises(KeyboardInterrupt):
        progress.emit(_record("Component %s is finished.", "Transform"))
    assert "Transform" in progress.out.getvalue()
