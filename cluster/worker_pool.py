"""The Python SDK worker pool of the local cluster (Beam's EXTERNAL environment):
`python -m cluster.worker_pool --port N`.

Beam's own `worker_pool_main` keeps its worker processes in a dict keyed by worker id and kills
by that id on StopWorker. Every TaskManager of one job asks for the same id ("1-1"), so on a
host with two TaskManagers sharing one pool, the first TaskManager to finish kills the worker
the other is still using ("StatusRuntimeException: CANCELLED: client cancelled"; seen here with
Beam 2.59). This pool is Beam's servicer with that one thing changed: each request gets its own
process, and StopWorker only reaps, because a worker ends by itself when its runner closes the
control channel. Workers run this interpreter (not whatever `python` is first on PATH) and write
to the pool's log instead of an unread pipe.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading

from apache_beam.portability.api import beam_fn_api_pb2
from apache_beam.runners.worker.worker_pool_main import BeamFnExternalWorkerPoolServicer

_HARNESS = (
    "from apache_beam.runners.worker.sdk_worker import SdkHarness; "
    "SdkHarness({control!r}, worker_id={worker!r}, state_cache_size={cache}, "
    "data_buffer_time_limit_ms={buffer}).run()"
)


class WorkerPool(BeamFnExternalWorkerPoolServicer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self._workers: list[subprocess.Popen] = []

    def StartWorker(self, request, context):
        command = [
            sys.executable,
            "-c",
            _HARNESS.format(
                control=request.control_endpoint.url,
                worker=request.worker_id,
                cache=self._state_cache_size,
                buffer=self._data_buffer_time_limit_ms,
            ),
        ]
        with self._lock:
            self._workers = [w for w in self._workers if w.poll() is None]
            self._workers.append(subprocess.Popen(command, stdin=subprocess.DEVNULL))
        return beam_fn_api_pb2.StartWorkerResponse()

    def StopWorker(self, request, context):
        with self._lock:
            self._workers = [w for w in self._workers if w.poll() is None]
        return beam_fn_api_pb2.StopWorkerResponse()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cluster.worker_pool")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    from pipeline.options import tf_environment

    tf_environment()  # inherited by every worker: tf.keras is tf_keras, as in the pipeline
    address, server = WorkerPool.start(use_process=True, port=args.port)
    print(f"Python SDK worker pool listening at {address}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    # Workers still running are in this process group; `python -m cluster stop` ends the group.
    server.stop(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
