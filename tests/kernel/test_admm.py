"""The batched ADMM's fast pieces against their plain definitions.

The warm start of the fleet's exact solve runs its box prox in fewer passes, reuses the
turnover prox's multiplier from one iteration to the next (Newton steps, checked, with the
exact sort as the fallback) and puts the batch in order of step size: each must give what the
plain definition gives (to rounding), whatever the order of the investors.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tailorfolio.fleet import factor_model_universe, synthetic_book
from tailorfolio.kernel._admm import (
    ALPHA,
    RHO_LADDER,
    SIGMA,
    AdmmState,
    BatchedAdmm,
    _CappedProx,
    _soft_box,
    _soft_box_fast,
    _turnover_prox,
    prox_box,
)
from tailorfolio.kernel._standard import from_investor_batch

from tests.tolerances import CLOSED_FORM_RTOL


def _box_data(seed: int, b: int = 40, n: int = 9):
    rng = np.random.default_rng(seed)
    lo = np.where(rng.uniform(size=(b, n)) < 0.3, rng.uniform(0, 0.05, (b, n)), 0.0)
    up = lo + rng.uniform(0.0, 0.6, (b, n))
    w0 = np.where(rng.uniform(size=(b, n)) < 0.2, rng.uniform(0, 0.8, (b, n)),
                  rng.uniform(lo, up))
    v = w0 + rng.normal(0, 0.2, (b, n))
    t = np.where(rng.uniform(size=(b, n)) < 0.3, 0.0, rng.uniform(0, 0.05, (b, n)))
    return v, w0, t, lo, up, rng


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_fast_soft_box_is_the_soft_threshold_then_the_box(seed: int) -> None:
    v, w0, t, lo, up, _ = _box_data(seed)
    np.testing.assert_allclose(_soft_box_fast(v, w0, t, lo, up), _soft_box(v, w0, t, lo, up),
                               rtol=0, atol=1e-15)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_warm_turnover_prox_equals_the_exact_one(seed: int) -> None:
    v, w0, t, lo, up, rng = _box_data(seed)
    b = v.shape[0]
    tau = rng.uniform(0.01, 0.6, b)
    idx = np.arange(b)
    z0 = _soft_box(v, w0, t, lo, up)
    over = np.abs(z0 - w0).sum(axis=1) > tau
    exact = np.where(over[:, None], _turnover_prox(v, w0, t, lo, up, tau), z0)
    # a first call (no warm start), then calls from a nearby point (warm, possibly wrong)
    prox = _CappedProx(w0, t, lo, up, tau, idx, np.full(b, np.nan))
    z = z0.copy()
    prox.apply(v, z)
    np.testing.assert_allclose(z, exact, rtol=0, atol=1e-13)
    v2 = v + rng.normal(0, 0.02, v.shape)
    z2 = _soft_box(v2, w0, t, lo, up)
    over2 = np.abs(z2 - w0).sum(axis=1) > tau
    exact2 = np.where(over2[:, None], _turnover_prox(v2, w0, t, lo, up, tau), z2)
    prox.apply(v2, z2)
    np.testing.assert_allclose(z2, exact2, rtol=0, atol=1e-13)
    # the cap holds wherever the box allows it (w0 outside the box forces some trading)
    forced = (np.maximum(lo - w0, 0.0) + np.maximum(w0 - up, 0.0)).sum(axis=1)
    turnover = np.abs(z2 - w0).sum(axis=1)
    assert (turnover[over2] <= np.maximum(tau, forced)[over2] + 1e-12).all()


def test_iterates_do_not_depend_on_the_order_of_the_investors() -> None:
    model = factor_model_universe(10, seed=3)
    batch = synthetic_book(model, 80, seed=5)
    sf = from_investor_batch(model, batch)
    perm = np.random.default_rng(1).permutation(sf.size)
    out = []
    for form in (sf, sf.take(perm)):
        admm = BatchedAdmm(form.P, form.A)
        state = admm.start(form)
        for _ in range(4):  # the step sizes spread over the ladder between calls
            admm.iterate(form, state, 15)
        out.append(state)
    assert len(np.unique(out[0].level)) > 1
    for name in ("x", "z_box", "z_row", "y_box", "y_row"):
        a, b = getattr(out[0], name)[perm], getattr(out[1], name)
        np.testing.assert_allclose(b, a, rtol=CLOSED_FORM_RTOL, atol=1e-12)


def _plain_iterate(admm: BatchedAdmm, sf, st: AdmmState, n_iter: int) -> None:
    """OSQP's iteration as the module docstring writes it (masked per ρ level, the plain
    prox), then the same step-size adaptation."""
    A, d = admm.A, admm.row_factor
    rho = RHO_LADDER[st.level][:, None]
    rho_row = rho * d[None, :]
    for _ in range(n_iter):
        rhs = (SIGMA * st.x - sf.q + rho * st.z_box - st.y_box
               + (rho_row * st.z_row - st.y_row) @ A)
        xt = np.empty_like(rhs)
        for lev in np.unique(st.level):
            m = st.level == lev
            xt[m] = rhs[m] @ admm.inverse(int(lev))
        zt_row = xt @ A.T
        st.x = ALPHA * xt + (1 - ALPHA) * st.x
        vb = ALPHA * xt + (1 - ALPHA) * st.z_box
        z_box = prox_box(vb + st.y_box / rho, sf, rho)
        st.y_box = st.y_box + rho * (vb - z_box)
        st.z_box = z_box
        vr = ALPHA * zt_row + (1 - ALPHA) * st.z_row
        z_row = np.clip(vr + st.y_row / rho_row, sf.row_lo, sf.row_hi)
        st.y_row = st.y_row + rho_row * (vr - z_row)
        st.z_row = z_row
    admm._adapt(sf, st)


def test_iterate_is_the_plain_osqp_iteration() -> None:
    model = factor_model_universe(10, seed=8)
    batch = synthetic_book(model, 120, seed=2)
    batch.max_turnover[::3] = 0.3  # many capped investors: the warm-started prox runs
    sf = from_investor_batch(model, batch)
    fast_admm, plain_admm = BatchedAdmm(sf.P, sf.A), BatchedAdmm(sf.P, sf.A)
    fast, plain = fast_admm.start(sf), plain_admm.start(sf)
    for _ in range(5):
        fast_admm.iterate(sf, fast, 12)
        _plain_iterate(plain_admm, sf, plain, 12)
        np.testing.assert_array_equal(fast.level, plain.level)
    # 60 iterations apart in the order of floating-point operations: rounding grows (the
    # budget row's step is 1e3 larger), to ~1e-10 relative in its dual
    for name in ("x", "z_box", "z_row", "y_box", "y_row"):
        np.testing.assert_allclose(getattr(fast, name), getattr(plain, name),
                                   rtol=1e-8, atol=1e-10, err_msg=name)


def test_blocks_of_rows_give_the_iterates_of_one_block(monkeypatch) -> None:
    """Iterating the batch in blocks of rows (each block all iterations at once, while in
    cache) is the same arithmetic per investor: the iterates and the turnover prox's warm
    multipliers are those of one block, to the rounding of the matrix products (BLAS sums a
    row in another order at a block's edge), and the step sizes are the same."""
    import tailorfolio.kernel._admm as admm_module

    model = factor_model_universe(10, seed=4)
    batch = synthetic_book(model, 150, seed=6)
    batch.max_turnover[::4] = 0.25  # capped investors in every block
    sf = from_investor_batch(model, batch)
    states = []
    for rows in (10**9, 7):
        monkeypatch.setattr(admm_module, "ADMM_BLOCK_ROWS", rows)
        admm = BatchedAdmm(sf.P, sf.A)
        state = admm.start(sf)
        for _ in range(4):  # the step sizes spread over the ladder between calls
            admm.iterate(sf, state, 10)
        states.append(state)
    one, blocks = states
    assert len(np.unique(one.level)) > 1
    np.testing.assert_array_equal(blocks.level, one.level)
    for name in ("x", "z_box", "z_row", "y_box", "y_row", "turnover_multiplier"):
        np.testing.assert_allclose(getattr(blocks, name), getattr(one, name), rtol=1e-9,
                                   atol=1e-11, err_msg=name)
