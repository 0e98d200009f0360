"""Independent analyses on the machine's second core: a small, bounded helper-thread pool.

A plan runs analyses that do not read each other's results: the goals stage's main Monte
Carlo, its lever searches and its alternatives; the stored paths' draws and the goal DP.
numpy releases the GIL inside its loops over arrays and random draws, so two threads overlap
what one spends without the GIL (drawing normals, above all) with what the other spends in
Python (the lever searches' small simulations). Two GIL-bound analyses side by side gain
nothing (measured: the sleeves' candidate policies split in two ran slower), so the plan
pairs its analyses deliberately rather than running everything in parallel.

The helpers are a process-wide pool of :data:`HELPER_THREADS` threads, however many plans run
at once (the FastAPI service builds plans in its own worker threads): a task goes to a helper
only if one is free at that moment (:func:`start_if_free`), and a plan that finds every
helper busy runs its tasks on its own thread, one after the other — it never waits for a
helper, so nested use cannot deadlock and the threads stay bounded. A task's result does not
depend on the thread that ran it, so a plan is the same, bit for bit, with or without
helpers (:func:`helper_threads` sets the pool's size; 0 runs everything on the caller).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Generic, TypeVar, cast

from tailorfolio.simulate._threads import inherited_blas_limit, open_blas_limits

T = TypeVar("T")

HELPER_THREADS = max(0, min(2, (os.cpu_count() or 1) - 1))
"""Helper threads of the whole process (1 on a 2-core machine): the calling thread plus the
helpers never exceed the cores, and many concurrent plans share the same helpers."""

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_free = threading.BoundedSemaphore(HELPER_THREADS) if HELPER_THREADS else None
_size = HELPER_THREADS


def _helper() -> tuple[ThreadPoolExecutor, threading.BoundedSemaphore] | None:
    """A free helper: the pool and the slot taken in it (to release when its task ends); None
    when every helper is busy."""
    global _pool
    with _lock:
        free, size = _free, _size
        if free is None or not free.acquire(blocking=False):
            return None
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="tailorfolio-helper")
        return _pool, free


@contextmanager
def helper_threads(n: int) -> Iterator[None]:
    """Context with a pool of ``n`` helper threads (0: every task on its caller's thread), for
    tests comparing the two and for callers that want one thread. Not for use while other
    threads run tasks."""
    global _pool, _free, _size
    with _lock:
        saved = (_pool, _free, _size)
        _pool, _free, _size = None, threading.BoundedSemaphore(n) if n else None, n
    try:
        yield
    finally:
        with _lock:
            pool = _pool
            _pool, _free, _size = saved
        if pool is not None:
            pool.shutdown(wait=True)


A = TypeVar("A")
B = TypeVar("B")


class Started(Generic[T]):
    """A task running on a helper thread (:func:`start_if_free`)."""

    def __init__(self, future: Future[T]) -> None:
        self._future = future

    def result(self) -> T:
        """The task's result once it has ended (its exception raised here)."""
        return self._future.result()


def start_if_free(task: Callable[[], T]) -> Started[T] | None:
    """Start ``task`` on a helper thread if one is free now, else None (nothing runs): for
    work worth doing only on a core that would otherwise wait — a plan's lever searches
    started before it knows it needs them. Wait for it with :meth:`Started.result` before
    leaving the caller's BLAS context."""
    helper = _helper()
    if helper is None:
        return None
    pool, slot = helper
    depth = open_blas_limits()

    def helped() -> T:
        try:
            with inherited_blas_limit(depth):
                return task()
        finally:
            slot.release()

    try:
        return Started(pool.submit(helped))
    except BaseException:
        slot.release()
        raise


def run_beside(main: Callable[[], A], others: Sequence[Callable[[], T]], *,
               after_main: Callable[[A], None] | None = None) -> tuple[A, list[T]]:
    """``main()`` on the calling thread, ``others`` on a helper thread free now (each in
    turn) and, once ``main`` has ended, on the calling thread too (each task runs once, on
    whichever thread takes it first). ``after_main(main's result)`` runs before the calling
    thread takes any of ``others``: it may tell tasks not started yet that they are needless
    (a speculative task reads what it set and returns early). Without a free helper: main,
    then the others in order, all on the calling thread.

    Returns
    -------
    (main's result, the others' results in order)
    """
    n = len(others)
    results: list[T | None] = [None] * n
    errors: list[BaseException | None] = [None] * n
    next_index = iter(range(n))  # next() on a range iterator is atomic under the GIL

    def work() -> None:
        for i in next_index:
            try:
                results[i] = others[i]()
            except BaseException as exc:  # handed to the caller, raised there
                errors[i] = exc

    helper = start_if_free(work) if n else None
    try:
        first = main()
        if after_main is not None:
            after_main(first)
        work()
    except BaseException:
        for _ in next_index:  # main failed: the helper starts nothing more
            pass
        raise
    finally:
        if helper is not None:
            helper.result()
    for exc in errors:
        if exc is not None:
            raise exc
    return first, cast(list[T], results)
