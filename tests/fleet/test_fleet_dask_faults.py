"""Dask engine under faults: a killed worker and a failing partition lose and duplicate
nothing (the output equals a clean run's)."""

from __future__ import annotations

import os
import signal

import numpy as np
import pyarrow.parquet as pq
import pytest

from tailorfolio.fleet import run_dask, run_local, write_synthetic_book

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def fault_book(tmp_path_factory, model):
    p = tmp_path_factory.mktemp("fleet_faults") / "book.parquet"
    write_synthetic_book(p, model, 1500, seed=9, chunk_size=500, model_tag="factor:12:7")
    return p


@pytest.fixture(scope="module")
def clean_plan(fault_book, model, tmp_path_factory):
    out = tmp_path_factory.mktemp("fleet_clean") / "clean.parquet"
    run_local(model, fault_book, out, workers=0, chunk_size=50)
    return pq.read_table(out).to_pandas()


def _same(plan, clean):
    assert len(plan) == len(clean)
    assert plan.investor_id.is_unique
    assert (plan.investor_id == clean.investor_id).all()
    assert (plan.status == clean.status).all()
    ok = clean.status == "optimal"
    np.testing.assert_allclose(np.vstack(plan.weights[ok]), np.vstack(clean.weights[ok]),
                               atol=1e-8)


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as c:
        yield c


@pytest.mark.slow
def test_dask_engine_matches_local(fault_book, clean_plan, model, tmp_path, client):
    out = tmp_path / "dask.parquet"
    rep = run_dask(model, fault_book, out, client=client, chunk_size=50)
    assert rep.engine == "dask" and rep.workers == 2 and rep.chunks == 30
    _same(pq.read_table(out).to_pandas(), clean_plan)


@pytest.mark.slow
def test_killed_worker_loses_and_duplicates_nothing(fault_book, clean_plan, model, tmp_path,
                                                    client):
    out = tmp_path / "killed.parquet"
    pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    killed_at: list[int] = []

    def progress(_k: int, chunks: int) -> None:
        if chunks == 3 and not killed_at:
            os.kill(victim, signal.SIGKILL)  # mid-run: 27 of 30 chunks still to come
            killed_at.append(chunks)

    rep = run_dask(model, fault_book, out, client=client, chunk_size=50,
                   progress=progress)
    assert killed_at == [3]
    assert victim not in client.run(os.getpid).values()  # the worker really died
    assert rep.investors == 1500 and rep.chunks == 30
    _same(pq.read_table(out).to_pandas(), clean_plan)


@pytest.mark.slow
def test_failed_partition_is_retried(fault_book, clean_plan, model, tmp_path, monkeypatch):
    import tailorfolio.fleet._engine as engine

    real = engine.solve_chunk
    failures = {"left": 2}

    def flaky(m, table, settings=None):
        if table.column("investor_id")[0].as_py() == "INV00000250" and failures["left"]:
            failures["left"] -= 1
            raise OSError("transient worker failure")
        return real(m, table, settings)

    monkeypatch.setattr(engine, "solve_chunk", flaky)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        rep = run_dask(model, fault_book, tmp_path / "retry.parquet", client=client,
                       chunk_size=50, retries=3)
    assert failures["left"] == 0 and rep.investors == 1500
    _same(pq.read_table(tmp_path / "retry.parquet").to_pandas(), clean_plan)
