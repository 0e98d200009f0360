"""Thread settings for the engine's small matrix products."""

from __future__ import annotations

from threadpoolctl import threadpool_limits


def single_threaded_blas() -> threadpool_limits:
    """Context limiting BLAS to one thread: the engine's products are tiny (paths × 17 by
    17 × 17), where BLAS threads only add synchronisation, and on a busy machine
    oversubscribed threads make them ten times slower."""
    return threadpool_limits(limits=1, user_api="blas")
