"""Background work for the window: one way to run slow things off the GUI thread.

A job is a function ``fn(progress, cancelled)``: it may call ``progress(value)`` as often as it likes and should
poll ``cancelled()``; whatever it returns reaches ``returned``, whatever it raises reaches ``errored`` (never
vanishes): a user error (engine.errors.explain) as its message and no details, a bug as a line and its traceback.
Worker code never touches widgets: only the signals cross to the GUI thread.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

Job = Callable[[Callable[[Any], None], Callable[[], bool]], Any]


class WorkerSignals(QObject):
    """Signals: started(), progress(object), returned(object), errored(message, traceback or ""), finished()."""

    started = Signal()
    progress = Signal(object)
    returned = Signal(object)
    errored = Signal(str, str)
    finished = Signal()


class Worker(QRunnable):
    """Runs one job in a QThreadPool."""

    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job
        self.signals = WorkerSignals()
        self._cancel = threading.Event()
        self.done = threading.Event()
        self.setAutoDelete(False)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> None:
        signals = self.signals
        signals.started.emit()
        try:
            result = self.job(signals.progress.emit, self._cancel.is_set)
        except Exception as exc:
            from engine.errors import explain

            error = explain(exc)
            if error is not None:
                signals.errored.emit(str(error), "")
            else:  # a bug: say so, and keep the traceback for the dialog (and the terminal)
                traceback.print_exc()
                signals.errored.emit(f"Internal error: {type(exc).__name__}: {exc}", traceback.format_exc())
        else:
            signals.returned.emit(result)
        finally:
            self.done.set()
            signals.finished.emit()


class Runner:
    """Starts workers on a pool and keeps them alive until they finish."""

    def __init__(self, max_threads: int = 1) -> None:
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(max_threads)
        self._live: set[Worker] = set()

    def start(
        self,
        job: Job,
        returned: Callable[[Any], None] | None = None,
        errored: Callable[[str, str], None] | None = None,
        progress: Callable[[Any], None] | None = None,
        finished: Callable[[], None] | None = None,
    ) -> Worker:
        worker = Worker(job)
        if returned:
            worker.signals.returned.connect(returned)
        if errored:
            worker.signals.errored.connect(errored)
        if progress:
            worker.signals.progress.connect(progress)
        if finished:
            worker.signals.finished.connect(finished)
        worker.signals.finished.connect(lambda: self._live.discard(worker))
        self._live.add(worker)
        self.pool.start(worker)
        return worker

    def wait(self, msecs: int = 30000) -> bool:
        return self.pool.waitForDone(msecs)

    def cancel_all(self) -> None:
        for worker in list(self._live):
            worker.cancel()


class Handoff:
    """A function another thread (the search server's) has run on a Runner, and waits for: as a job, it keeps
    what the function returned or raised for ``result``."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        self.done = threading.Event()
        self._value: Any = None
        self._error: BaseException | None = None

    def __call__(self, _progress: Callable[[Any], None], _cancelled: Callable[[], bool]) -> None:
        try:
            self._value = self.fn()
        except BaseException as exc:  # handed back to the waiting thread, which reports it
            self._error = exc
        finally:
            self.done.set()

    def result(self, alive: Callable[[], bool]) -> Any:
        """What the function returned (or raise what it raised), once it ran; RuntimeError when ``alive()`` turns
        false first (the window closing)."""
        while not self.done.wait(0.2):
            if not alive():
                raise RuntimeError("the window is closing")
        if self._error is not None:
            raise self._error
        return self._value
