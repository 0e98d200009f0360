"""The engine's BLAS limit: one thread inside, the caller's setting restored after, nesting
free (a plan opens it once around dozens of simulations that each open it again)."""

from __future__ import annotations

from threadpoolctl import threadpool_info, threadpool_limits

from tailorfolio.simulate._threads import single_threaded_blas


def _blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_nested_contexts_keep_one_thread_until_the_outer_one_closes() -> None:
    with threadpool_limits(limits=2, user_api="blas"):  # the caller's own setting
        before = _blas_threads()
        assert 2 in before  # (a BLAS built single-threaded stays at 1)
        _nested()
        assert _blas_threads() == before


def _nested() -> None:
    before = _blas_threads()
    with single_threaded_blas():
        assert all(n == 1 for n in _blas_threads())
        with single_threaded_blas():
            assert all(n == 1 for n in _blas_threads())
        assert all(n == 1 for n in _blas_threads())  # the inner exit did not restore
    assert _blas_threads() == before


def test_the_context_is_reusable_after_an_error() -> None:
    with threadpool_limits(limits=2, user_api="blas"):
        _after_an_error()


def _after_an_error() -> None:
    before = _blas_threads()
    try:
        with single_threaded_blas():
            raise ValueError("inside")
    except ValueError:
        pass
    with single_threaded_blas():
        assert all(n == 1 for n in _blas_threads())
    assert _blas_threads() == before
