"""Engines agree, chunking does not matter, output is complete and in input order."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

from tailorfolio.fleet import run_local, write_synthetic_book
from tailorfolio.fleet._engine import model_for_book


@pytest.fixture(scope="module")
def book_path(tmp_path_factory, model):
    p = tmp_path_factory.mktemp("fleet") / "book.parquet"
    write_synthetic_book(p, model, 600, seed=4, chunk_size=250, model_tag="factor:12:7")
    return p


def _plan(path):
    return pq.read_table(path).to_pandas()


def test_model_recorded_in_book(book_path, model):
    m = model_for_book(book_path)
    np.testing.assert_array_equal(m.covariance, model.covariance)


def test_in_process_and_pool_agree_and_chunking_is_irrelevant(book_path, model, tmp_path):
    a = run_local(model, book_path, tmp_path / "a.parquet", workers=0, chunk_size=600)
    b = run_local(model, book_path, tmp_path / "b.parquet", workers=2, chunk_size=97)
    # 97 rows a chunk would make 7 chunks; balanced over 2 workers: 8 of 75
    assert a.investors == b.investors == 600 and b.chunks == 8
    pa_, pb = _plan(tmp_path / "a.parquet"), _plan(tmp_path / "b.parquet")
    assert pa_.investor_id.tolist() == [f"INV{i:08d}" for i in range(600)]
    assert (pa_.investor_id == pb.investor_id).all() and (pa_.status == pb.status).all()
    ok = pa_.status == "optimal"
    np.testing.assert_allclose(np.vstack(pa_.weights[ok]), np.vstack(pb.weights[ok]), atol=1e-8)
    assert a.by_status == b.by_status
    assert a.max_kkt_residual < 1e-8
