"""Thread settings for the engine's small matrix products."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from threading import local

from threadpoolctl import ThreadpoolController

_open = local()
"""Per thread, ``depth``: how many :func:`single_threaded_blas` contexts are open (nested
ones do nothing)."""


@lru_cache(maxsize=1)
def _controller_for(n_modules: int) -> ThreadpoolController:
    return ThreadpoolController()


def _controller() -> ThreadpoolController:
    """The process's thread-pool controller: scanning the loaded libraries costs a few
    milliseconds, so it is done again only when modules were imported since (a new
    extension module can bring its own BLAS), not once per simulation."""
    return _controller_for(len(sys.modules))


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Context limiting BLAS to one thread: the engine's products are tiny (paths × 17 by
    17 × 17), where BLAS threads only add synchronisation, and on a busy machine
    oversubscribed threads make them ten times slower.

    Re-entrant and cheap when nested: a plan opens it once around its stages and every
    simulation inside finds the limit already set.
    """
    depth = getattr(_open, "depth", 0)
    _open.depth = depth + 1
    try:
        if depth:
            yield
        else:
            with _controller().limit(limits=1, user_api="blas"):
                yield
    finally:
        _open.depth = depth


def open_blas_limits() -> int:
    """How many :func:`single_threaded_blas` contexts are open on the calling thread."""
    return int(getattr(_open, "depth", 0))


@contextmanager
def inherited_blas_limit(depth: int) -> Iterator[None]:
    """Context for a helper thread working for a caller with ``depth`` open
    :func:`single_threaded_blas` contexts (:func:`open_blas_limits`): the caller's limit is
    process-wide and stays set while the helper works, so the helper's own contexts nest in
    it (they neither set it again nor lift it when they end, under the caller's feet)."""
    saved = getattr(_open, "depth", 0)
    _open.depth = saved + depth
    try:
        yield
    finally:
        _open.depth = saved
