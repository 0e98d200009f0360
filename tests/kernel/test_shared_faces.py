"""Large batches factorize each distinct face matrix once: the same answers as one
factorization per problem.

The investors of one universe share few reduced KKT matrices (which variables are free,
which rows and caps are on); :func:`tailorfolio.kernel._activeset._batched_solve` then
inverts each distinct matrix once and refines every problem's answer on its own residual.
The solutions, multipliers and KKT verdicts must be those of the per-problem LU solve.
"""

from __future__ import annotations

import numpy as np
import pytest

import tailorfolio.kernel._activeset as core
from tailorfolio.fleet import factor_model_universe, synthetic_book
from tailorfolio.kernel._admm import BatchedAdmm
from tailorfolio.kernel._standard import from_investor_batch

from tests.tolerances import CLOSED_FORM_RTOL


@pytest.fixture(scope="module", params=[12, 30])  # keys as integers, as packed bits
def form(request):
    model = factor_model_universe(request.param, seed=4)
    batch = synthetic_book(model, 600, seed=9, infeasible_share=0.0)
    return from_investor_batch(model, batch, with_volatility=False)


def _guess(sf):
    admm = BatchedAdmm(sf.P, sf.A)
    st = admm.start(sf)
    admm.iterate(sf, st, 40)
    return core.guess_active_set(sf, st.z_box, st.z_row)


def test_face_keys_name_the_matrix(form) -> None:
    act = _guess(form)
    keys = core.face_keys(act)
    _, which = np.unique(keys, return_inverse=True, axis=0 if keys.ndim == 2 else None)
    which = which.reshape(-1)
    assert which.max() + 1 < 0.5 * form.size  # faces are shared
    M, *_ = core.kkt_systems(form, act)
    for k in range(min(40, which.max() + 1)):
        members = np.flatnonzero(which == k)
        np.testing.assert_array_equal(M[members], np.broadcast_to(M[members[0]],
                                                                  M[members].shape))


def test_shared_solve_matches_the_per_problem_solve(form, monkeypatch) -> None:
    act = _guess(form)
    shared = core.solve_active_set(form, act)
    shared_affine = core.solve_active_set_affine(form, act)
    shared_out = core.active_set_solve(form, act, max_iter=30)
    monkeypatch.setattr(core, "SHARED_FACE_MIN", 10**9)  # one LU per problem
    plain = core.solve_active_set(form, act)
    plain_affine = core.solve_active_set_affine(form, act)
    plain_out = core.active_set_solve(form, act, max_iter=30)
    # faces with linearly dependent active rows are singular but for the regularization
    # (condition ~1e12): there neither solve is accurate and the KKT check decides
    M, *_ = core.kkt_systems(form, act)
    sound = np.linalg.cond(M) < 1e8
    assert sound.mean() > 0.8
    for a, b in zip(shared + shared_affine, plain + plain_affine):
        np.testing.assert_allclose(a[sound], b[sound], rtol=CLOSED_FORM_RTOL, atol=1e-13)
    np.testing.assert_array_equal(shared_out.ok, plain_out.ok)
    assert shared_out.ok.mean() > 0.95
    np.testing.assert_allclose(shared_out.w, plain_out.w, rtol=0, atol=1e-12)
    assert (shared_out.primal_residual[shared_out.ok] <= 1e-13).all()
    assert (shared_out.dual_residual[shared_out.ok] <= 1e-13).all()
