"""A bounded worker pool for the slow work of many students (filter ascents, atlases).

``workers`` threads run jobs; each student has at most one job *running* and at most one job
*pending* per slot ("redraw", "atlas"): submitting again while a job waits replaces it, so a
student who drags a slider five times gets one ascent for the last position, not five.
Students are served round-robin, so one student's atlas cannot make everyone else wait behind
a queue of their requests. Nothing here knows about widgets or Solara.

Example:
    >>> pool = WorkerPool(workers=1)
    >>> job = pool.submit("ann", "redraw", lambda: 6 * 7)
    >>> job.wait(5), job.result
    (True, 42)
    >>> pool.shutdown()
"""

from __future__ import annotations

import collections
import threading
import time

__all__ = ["Job", "WorkerPool"]


class Job:
    """One submitted call. ``state`` is "pending", "running", "done", "failed" or "replaced"."""

    def __init__(self, student, slot, fn, wrap=None):
        self.student, self.slot, self.fn, self.wrap = student, slot, fn, wrap
        self.state = "pending"
        self.result = self.error = None
        self.submitted = time.perf_counter()
        self.started = self.finished = None
        self._done = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job finished, failed or was replaced; False on timeout."""
        return self._done.wait(timeout)

    def _finish(self, state):
        self.state, self.finished = state, time.perf_counter()
        self._done.set()


class WorkerPool:
    """``workers`` threads shared by every student (see the module docstring).

    ``submit(student, slot, fn, wrap=None)`` returns a :class:`Job`; ``wrap`` (optional) is a
    context-manager factory entered around ``fn`` in the worker thread (the classroom app passes
    the student's Solara kernel context, so widget updates reach that student only).
    ``stats`` counts submitted / replaced / done / failed jobs.
    """

    def __init__(self, workers: int = 1):
        if int(workers) < 1:
            raise ValueError(f"workers must be at least 1, got {workers!r}")
        self.workers = int(workers)
        self.stats: collections.Counter = collections.Counter()
        self._cv = threading.Condition()
        self._pending: dict = {}                     # (student, slot) -> Job
        self._order: collections.deque = collections.deque()  # keys in arrival order
        self._busy: set = set()                      # students with a running job
        self._threads: list[threading.Thread] = []
        self._closed = False

    def submit(self, student, slot: str, fn, wrap=None) -> Job:
        job = Job(student, slot, fn, wrap)
        with self._cv:
            if self._closed:
                raise RuntimeError("the worker pool has been shut down")
            key = (student, slot)
            old = self._pending.get(key)
            if old is not None:
                old._finish("replaced")
                self.stats["replaced"] += 1
            else:
                self._order.append(key)
            self._pending[key] = job
            self.stats["submitted"] += 1
            if len(self._threads) < self.workers:
                t = threading.Thread(target=self._run, name=f"classroom-worker-{len(self._threads)}", daemon=True)
                self._threads.append(t)
                t.start()
            self._cv.notify_all()
        return job

    def waiting(self, student=None) -> int:
        """Jobs waiting (of one student, or of everyone)."""
        with self._cv:
            return sum(1 for s, _ in self._pending if student is None or s == student)

    def busy(self) -> int:
        """Jobs running or waiting, of everyone."""
        with self._cv:
            return len(self._busy) + len(self._pending)

    def forget(self, student) -> None:
        """Drop a student's waiting jobs (their browser tab closed); a running job finishes."""
        with self._cv:
            for key in [k for k in self._pending if k[0] == student]:
                self._pending.pop(key)._finish("replaced")
                self._order.remove(key)

    def shutdown(self, timeout: float = 5.0) -> None:
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        for t in self._threads:
            t.join(timeout)

    def _next(self):
        """The first waiting job whose student has nothing running (round-robin), or None."""
        for key in self._order:
            if key[0] not in self._busy:
                self._order.remove(key)
                return self._pending.pop(key)
        return None

    def _run(self):
        while True:
            with self._cv:
                job = self._next()
                while job is None:
                    if self._closed:
                        return
                    self._cv.wait()
                    job = self._next()
                self._busy.add(job.student)
                job.state, job.started = "running", time.perf_counter()
            try:
                if job.wrap is not None:
                    with job.wrap():
                        job.result = job.fn()
                else:
                    job.result = job.fn()
                state = "done"
            except Exception as err:  # the job's own code shows user errors; never kill the worker
                job.error, state = err, "failed"
            with self._cv:
                self._busy.discard(job.student)
                for key in [k for k in self._order if k[0] == job.student]:  # to the back of the line
                    self._order.remove(key)
                    self._order.append(key)
                self.stats[state] += 1
                job._finish(state)
                self._cv.notify_all()
