"""The ``fleet`` command end to end, and the batched frontier against Clarabel."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from tailorfolio.cli.app import app
from tailorfolio.fleet import FleetModel, InvestorBatch, batched_frontier, factor_model_universe
from tailorfolio.fleet._columns import book_schema
from tailorfolio.market import default_market
from tests.tolerances import SOLVER_RTOL

runner = CliRunner()


def test_generate_then_solve_default_universe(tmp_path):
    book = tmp_path / "investors.parquet"
    r = runner.invoke(app, ["fleet", str(book), "--generate", "300", "--seed", "3"])
    assert r.exit_code == 0, r.output
    out = tmp_path / "plans.parquet"
    r = runner.invoke(app, ["fleet", str(book), "--out", str(out), "--workers", "0",
                            "--chunk-size", "120", "--report-json", str(tmp_path / "r.json")])
    assert r.exit_code == 0, r.output
    plan = pq.read_table(out).to_pandas()
    assert len(plan) == 300 and plan.investor_id.is_unique
    assert set(plan.status) <= {"optimal", "infeasible"}
    ok = plan.status == "optimal"
    w = np.vstack(plan.weights[ok])
    assert w.shape[1] == len(default_market().universe)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-9)
    assert (plan.primal_residual[ok] < 1e-8).all()
    assert "investors/s" in r.output or "throughput" in r.output


def test_invalid_rows_reported_in_output(tmp_path):
    model = FleetModel.from_market(default_market())
    rows = [{"investor_id": "good", "risk_level": 4},
            {"investor_id": "typo", "risk_level": 4, "excluded_assets": ["VTIX"]}]
    book = tmp_path / "b.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=book_schema(model.tickers)), book)
    out = tmp_path / "p.parquet"
    r = runner.invoke(app, ["fleet", str(book), "--out", str(out), "--workers", "0"])
    assert r.exit_code == 0, r.output
    plan = pq.read_table(out).to_pandas().set_index("investor_id")
    assert plan.loc["good", "status"] == "optimal"
    assert plan.loc["typo", "status"] == "invalid" and "VTIX" in plan.loc["typo", "message"]


def test_missing_book_is_a_clear_error(tmp_path):
    r = runner.invoke(app, ["fleet", str(tmp_path / "nope.parquet"), "--out",
                            str(tmp_path / "p.parquet")])
    assert r.exit_code == 4 and "does not exist" in r.output


def test_frontier_points_are_clarabel_optimal():
    m = factor_model_universe(30, seed=4)
    f = batched_frontier(m, n_points=12)
    assert f.statuses == ["optimal"] * 12
    assert np.all(np.diff(f.expected_return) > 0) and np.all(np.diff(f.volatility) >= -1e-12)
    w = cp.Variable(30)
    r = cp.Parameter()
    p = cp.Problem(cp.Minimize(cp.quad_form(w, m.covariance)),
                   [cp.sum(w) == 1, w >= 0, m.expected_return @ w >= r])
    for k in range(12):
        r.value = f.expected_return[k] - 1e-12
        p.solve(solver="CLARABEL")
        assert f.volatility[k] ** 2 <= p.value * (1 + SOLVER_RTOL) + 1e-12


def test_frontier_respects_constraints():
    m = factor_model_universe(20, seed=1)
    c = InvestorBatch.uniform(m, 1)
    c.upper[:] = 0.15
    g = list(m.group_names).index("bond")
    c.group_min[0, g] = 0.3
    f = batched_frontier(m, c, n_points=8)
    w = f.weights.to_numpy()
    assert (w <= 0.15 + 1e-9).all() and (w @ m.group_matrix[g] >= 0.3 - 1e-9).all()
