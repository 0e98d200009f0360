"""The columnar book: exact round trip, per-row invalid input, ticker order."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from tailorfolio.errors import DataError
from tailorfolio.fleet import batch_from_table, synthetic_book, table_from_batch
from tailorfolio.fleet._columns import TICKERS_KEY, book_schema


def test_round_trip_is_exact(model, book):
    ids = [f"X{i}" for i in range(book.size)]
    table = table_from_batch(model, ids, book)
    got_ids, got, invalid, _ = batch_from_table(model, table)
    assert list(got_ids) == ids and not invalid.any()
    for name in ("risk_aversion", "lower", "upper", "group_min", "group_max", "current_weights",
                 "max_turnover", "esg_tilt"):
        np.testing.assert_array_equal(getattr(got, name), getattr(book, name), err_msg=name)
    np.testing.assert_allclose(got.cost_rate, book.cost_rate, rtol=1e-15)
    np.testing.assert_array_equal(np.isnan(got.min_esg_score), np.isnan(book.min_esg_score))


def _rows(model, rows):
    return pa.Table.from_pylist(rows, schema=book_schema(model.tickers))


def test_sparse_columns_and_defaults(model):
    t = _rows(model, [
        {"investor_id": "a", "risk_level": 5, "excluded_assets": ["A001"],
         "class_bounds": [{"name": "bond", "min": 0.3, "max": 0.6}], "max_weight_per_asset": 0.3},
        {"investor_id": "b", "risk_aversion": 2.0},
    ])
    ids, b, invalid, _ = batch_from_table(model, t)
    assert not invalid.any()
    assert b.risk_aversion[0] == 3.0  # level 5 in the foundation's table
    assert b.upper[0, 1] == 0.0 and b.upper[0, 0] == 0.3 and b.upper[1, 0] == 1.0
    g = list(model.group_names).index("bond")
    assert (b.group_min[0, g], b.group_max[0, g]) == (0.3, 0.6)
    assert b.current_weights.sum() == 0 and np.isinf(b.max_turnover).all()


def test_invalid_rows_are_named_not_raised(model):
    n = model.n_assets
    t = _rows(model, [
        {"investor_id": "ok", "risk_aversion": 3.0},
        {"investor_id": "bad-ticker", "risk_aversion": 3.0, "excluded_assets": ["NOPE"]},
        {"investor_id": "bad-level", "risk_level": 12},
        {"investor_id": "bad-len", "risk_aversion": 3.0, "current_weights": [0.5] * (n - 1)},
        {"investor_id": "bad-class", "risk_aversion": 3.0,
         "class_bounds": [{"name": "crypto", "min": 0.1, "max": 0.2}]},
        {"investor_id": "no-risk"},
    ])
    _, _, invalid, msg = batch_from_table(model, t)
    assert invalid.tolist() == [False, True, True, True, True, True]
    assert "NOPE" in msg[1] and "excluded_assets" in msg[1]
    assert "risk_level" in msg[2] and "12" in msg[2]
    assert "current_weights" in msg[3] and str(n) in msg[3]
    assert "crypto" in msg[4]
    assert "risk_aversion" in msg[5]


def test_list_entries_apply_in_order_first_problem_reported(model):
    g = list(model.group_names).index("bond")
    t = _rows(model, [
        {"investor_id": "twice", "risk_aversion": 3.0, "excluded_assets": ["A002", "A000"],
         "class_bounds": [{"name": "bond", "min": 0.1, "max": 0.7},
                          {"name": "bond", "min": 0.2, "max": 0.5}]},
        {"investor_id": "two-bad", "risk_aversion": 3.0,
         "class_bounds": [{"name": "bond", "min": 0.6, "max": 0.4},
                          {"name": "crypto", "min": 0.0, "max": 0.1}]},
        {"investor_id": "ok-then-bad", "risk_aversion": 3.0, "excluded_assets": ["A001", "NOPE"]},
    ])
    _, b, invalid, msg = batch_from_table(model, t)
    assert invalid.tolist() == [False, True, True]
    assert (b.group_min[0, g], b.group_max[0, g]) == (0.2, 0.5)  # the stricter of each
    assert b.upper[0, 0] == 0.0 and b.upper[0, 2] == 0.0 and b.upper[0, 1] == 1.0
    assert "bond" in msg[1] and "0.6" in msg[1] and "crypto" not in msg[1]  # the first one
    assert "NOPE" in msg[2]


def test_lists_follow_the_book_ticker_order(model, book):
    table = table_from_batch(model, list(range(book.size)), book)
    order = list(reversed(model.tickers))
    rev = table.replace_schema_metadata({TICKERS_KEY: json.dumps(order).encode()})
    # the same numbers declared in reversed ticker order must come back reversed
    _, got, _, _ = batch_from_table(model, rev)
    np.testing.assert_array_equal(got.upper, book.upper[:, ::-1])


def test_foreign_tickers_raise_data_error(model, book):
    table = table_from_batch(model, list(range(3)), synthetic_book(model, 3))
    bad = table.replace_schema_metadata({TICKERS_KEY: json.dumps(["X"] * model.n_assets)
                                         .encode()})
    with pytest.raises(DataError, match="tickers"):
        batch_from_table(model, bad)
