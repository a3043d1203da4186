"""Micro-batching: one thread owns the model and scores every request waiting for it in one vectorised call.

A model with a large fixed cost per call (feature pipelines, several boosters) then serves concurrent single
requests at nearly the rate of batch calls. An idle server adds no wait: a lone request is scored at once."""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass
class _Job(Generic[Item, Result]):
    items: list[Item]
    option: bool
    future: Future[list[Result]] = field(default_factory=Future)


class MicroBatcher(Generic[Item, Result]):
    """Runs `score(items, option) -> one result per item` on one thread, over the concatenated items of the
    queued jobs (at most `max_items` per call; a larger single job runs alone). `option` is or-ed over a merged
    call (e.g. "with reasons"). When a merged call fails, each of its jobs is retried alone, so one bad request
    fails alone."""

    def __init__(self, score: Callable[[list[Item], bool], list[Result]], max_items: int) -> None:
        self._score = score
        self._max = max_items
        self._queue: queue.SimpleQueue[_Job[Item, Result] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread = self._start()

    def _start(self) -> threading.Thread:
        thread = threading.Thread(target=self._loop, name="arenapref-model", daemon=True)
        thread.start()
        return thread

    def submit(self, items: list[Item], option: bool) -> list[Result]:
        """Score `items` (blocking); raises what `score` raised for them. After close() the next call starts the
        thread again (an app whose lifespan ended and began again, as a test client does, keeps serving)."""
        job: _Job[Item, Result] = _Job(items, option)
        with self._lock:
            if not self._thread.is_alive():
                self._thread = self._start()
            self._queue.put(job)
        return job.future.result()

    def close(self) -> None:
        with self._lock:
            if self._thread.is_alive():  # a stop signal left in the queue would stop the next thread at once
                self._queue.put(None)
                self._thread.join(timeout=10)

    def _loop(self) -> None:
        held: deque[_Job[Item, Result] | None] = deque()  # taken from the queue but not fitting the last call
        while True:
            first = held.popleft() if held else self._queue.get()
            if first is None:
                return
            jobs, size = [first], len(first.items)
            while size < self._max:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None or size + len(job.items) > self._max:
                    held.append(job)
                    break
                jobs.append(job)
                size += len(job.items)
            self._run(jobs)

    def _run(self, jobs: list[_Job[Item, Result]]) -> None:
        items = [item for job in jobs for item in job.items]
        try:
            results = self._score(items, any(job.option for job in jobs))
        except Exception as exc:
            if len(jobs) > 1:
                for job in jobs:
                    self._run([job])
            else:
                jobs[0].future.set_exception(exc)
            return
        start = 0
        for job in jobs:
            job.future.set_result(results[start : start + len(job.items)])
            start += len(job.items)
