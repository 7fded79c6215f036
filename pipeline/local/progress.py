"""One console line per component as it starts and as it ends, with its state and seconds.

Driven by the LocalDagRunner's own log records ("Component X is running." / "... is finished."),
which arrive whatever else goes to the log file; the state a component ended in (complete,
cached, empty) is read from ML Metadata at that moment.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

from pipeline.runs.records import latest_run

_STARTED = "Component %s is running."
_FINISHED = "Component %s is finished."


class Progress(logging.Handler):
    def __init__(self, metadata_path: str, total: int, out: TextIO | None = None):
        super().__init__(level=logging.INFO)
        self.metadata_path = metadata_path
        self.total = total
        self.out = out or sys.stdout
        self.started: dict[str, float] = {}
        self.running: str | None = None
        self.interrupted = False

    def _line(self, node: str, state: str, seconds: float | None = None) -> None:
        index = list(self.started).index(node) + 1
        took = f"{seconds:7.1f} s" if seconds is not None else ""
        line = f"[{index:2d}/{self.total}] {node:<38} {state:<9}{took}"
        print(line.rstrip(), file=self.out, flush=True)

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg not in (_STARTED, _FINISHED) or not record.args:
            return
        if self.interrupted:
            # Ctrl-C came while a library swallowed the KeyboardInterrupt (in a finalizer or a
            # broad `except`): stop at this component boundary instead of running on to a push.
            raise KeyboardInterrupt
        node = str(record.args[0])
        if record.msg == _STARTED:
            self.started[node] = time.monotonic()
            self.running = node
            self._line(node, "running")
            return
        self.running = None
        seconds = time.monotonic() - self.started.get(node, time.monotonic())
        outcome = latest_run(self.metadata_path)
        state = outcome.states.get(node, "complete") if outcome else "complete"
        self._line(node, state.lower(), seconds)

    def failed(self, how: str = "failed") -> None:
        """Marks the component that was running when the run stopped."""
        if self.running is not None:
            node = self.running
            self._line(node, how, time.monotonic() - self.started[node])
            self.running = None
