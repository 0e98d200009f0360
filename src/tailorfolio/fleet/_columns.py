"""The columnar investor book and plan formats (Arrow), and their conversion to arrays.

Investor book (one row per investor; every column but ``investor_id`` optional/nullable)
------------------------------------------------------------------------------------------
==========================  ===============================  ======================================
column                      type                             meaning (default when null)
==========================  ===============================  ======================================
investor_id                 string                           unique key, copied to the plan
risk_aversion               float64                          γ > 0 (else from risk_level)
risk_level                  int                              1–10 → γ by the foundation's table
lower, upper                list<float64> (n_assets)         weight bounds, decimals (0 / 1)
max_weight_per_asset        float64                          uniform cap folded into upper (1)
excluded_assets             list<string>                     tickers never held (none)
excluded_sectors            list<string>                     sector/activity tags (none)
class_bounds                list<struct<name, min, max>>     class-total bounds (none)
min_esg_score               float64                          floor on the weighted score (none)
esg_tilt                    float64                          return bonus per score/100 (0)
current_weights             list<float64> (n_assets)         holdings as weights (all cash: 0)
cost_bps                    float64 or list<float64>         linear cost per unit traded, bps (0)
max_turnover                float64                          cap on Σ|w − w0| (none)
max_volatility              float64                          annual ceiling (none; batched, exact)
==========================  ===============================  ======================================

Per-asset lists follow the ticker order stored in the schema metadata key
``tailorfolio.tickers`` (a JSON list); when absent they follow the model's order.

Plan (output) columns: ``investor_id, status, method, message, weights (list<float64>),
expected_return, volatility, sharpe, utility, turnover, cost, risk_aversion, primal_residual,
dual_residual, admm_iterations``. ``status`` is ``optimal``, ``infeasible``, ``failed`` or
``invalid`` (a malformed row: the message names the column and value).
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tailorfolio.fleet._model import FleetModel, InvestorBatch
from tailorfolio.limits import MAX_FEE_BPS, clip_text
from tailorfolio.fleet._solver import BatchResult
from tailorfolio.risk._scoring import LEVEL_TABLE
from tailorfolio.typing import FloatArray

TICKERS_KEY = b"tailorfolio.tickers"
MODEL_KEY = b"tailorfolio.model"
STATUS_INVALID = "invalid"
MAX_RISK_AVERSION = 1e4
"""Largest risk aversion γ accepted in a book (γ = 1e4 is already all minimum variance)."""
_KNOWN_TAGS = frozenset(
    {"fossil_fuels", "tobacco", "weapons", "gambling", "alcohol", "nuclear", "coal",
     "adult_entertainment", "controversial_weapons", "energy", "utilities"})

PLAN_SCHEMA = pa.schema([
    ("investor_id", pa.string()), ("status", pa.string()), ("method", pa.string()),
    ("message", pa.string()), ("weights", pa.list_(pa.float64())),
    ("expected_return", pa.float64()), ("volatility", pa.float64()), ("sharpe", pa.float64()),
    ("utility", pa.float64()), ("turnover", pa.float64()), ("cost", pa.float64()),
    ("risk_aversion", pa.float64()), ("primal_residual", pa.float64()),
    ("dual_residual", pa.float64()), ("admm_iterations", pa.int64()),
])


def book_schema(tickers: tuple[str, ...] | list[str], model_tag: str = "") -> pa.Schema:
    """The investor-book schema, with the ticker order (and model tag) in its metadata."""
    schema = pa.schema([
        ("investor_id", pa.string()), ("risk_aversion", pa.float64()),
        ("risk_level", pa.int8()), ("lower", pa.list_(pa.float64())),
        ("upper", pa.list_(pa.float64())), ("max_weight_per_asset", pa.float64()),
        ("excluded_assets", pa.list_(pa.string())), ("excluded_sectors", pa.list_(pa.string())),
        ("class_bounds", pa.list_(pa.struct([("name", pa.string()), ("min", pa.float64()),
                                             ("max", pa.float64())]))),
        ("min_esg_score", pa.float64()), ("esg_tilt", pa.float64()),
        ("current_weights", pa.list_(pa.float64())), ("cost_bps", pa.list_(pa.float64())),
        ("max_turnover", pa.float64()), ("max_volatility", pa.float64()),
    ])
    meta = {TICKERS_KEY: json.dumps(list(tickers)).encode()}
    if model_tag:
        meta[MODEL_KEY] = model_tag.encode()
    return schema.with_metadata(meta)


# ---------------------------------------------------------------------- book -> arrays


class _Invalid:
    """Collects per-row input problems (the first one per row is reported)."""

    def __init__(self, size: int):
        self.mask = np.zeros(size, dtype=bool)
        self.message = np.full(size, "", dtype=object)

    def add(self, rows: np.ndarray, text) -> None:
        rows = np.asarray(rows)
        for r in np.unique(rows):
            if not self.mask[r]:
                self.mask[r] = True
                self.message[r] = text(int(r)) if callable(text) else text


_CAST_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError)


def _scalar(table: pa.Table, name: str, default: float, bad: _Invalid | None = None
            ) -> FloatArray:
    """A numeric column as floats (nulls → ``default``). Values that are not numbers (a
    string column, text in a cell) make their row invalid, naming the column and value."""
    b = table.num_rows
    if name not in table.column_names:
        return np.full(b, default, dtype=float)
    col = table.column(name).combine_chunks()
    if pa.types.is_null(col.type):  # an all-null column (pandas writes its type as null)
        return np.full(b, default, dtype=float)
    try:
        arr = col.cast(pa.float64()).fill_null(default).to_numpy(
            zero_copy_only=False).astype(float)
        arr[np.isnan(arr)] = default  # NaN means "not given", as null does
        return arr
    except _CAST_ERRORS:
        pass
    out = np.full(b, default, dtype=float)
    for r, v in enumerate(col.to_pylist()):  # slow path, only for a malformed column
        if v is None:
            continue
        try:
            out[r] = float(v)
        except (TypeError, ValueError):
            if bad is not None:
                bad.add(np.array([r]), f"{name}: {clip_text(v, 40)} is not a number")
    return out


def _per_asset(table: pa.Table, name: str, n: int, default: float, perm: np.ndarray | None,
               bad: _Invalid) -> FloatArray:
    b = table.num_rows
    out = np.full((b, n), default, dtype=float)
    if name not in table.column_names:
        return out
    col = table.column(name).combine_chunks()
    if pa.types.is_null(col.type):
        return out
    if pa.types.is_floating(col.type) or pa.types.is_integer(col.type):
        vals = col.cast(pa.float64()).fill_null(default).to_numpy(zero_copy_only=False)
        out[:] = vals[:, None]
        return out
    if not (pa.types.is_list(col.type) or pa.types.is_large_list(col.type)):
        rows = np.flatnonzero(col.is_valid().to_numpy(zero_copy_only=False))
        bad.add(rows, lambda r: f"{name}: {clip_text(col[r].as_py(), 40)} is not a list of "
                f"{n} numbers")
        return out
    lengths = pc.list_value_length(col).fill_null(0).to_numpy(zero_copy_only=False)
    present = col.is_valid().to_numpy(zero_copy_only=False)
    wrong = present & (lengths != n)
    if wrong.any():
        bad.add(np.flatnonzero(wrong),
                lambda r: f"{name}: {int(lengths[r])} values; the book has {n} tickers "
                f"(expected one value per ticker in the order of the schema metadata)")
    ok = present & ~wrong
    if ok.any():
        sub = col.filter(pa.array(ok))
        flat = pc.list_flatten(sub)
        try:
            flat = flat.cast(pa.float64())
        except _CAST_ERRORS:
            parsed = []
            for v in flat.to_pylist():
                try:
                    parsed.append(None if v is None else float(v))
                except (TypeError, ValueError):
                    parsed.append(float("nan"))
            flat = pa.array(parsed, pa.float64())
            nonnum = np.asarray([isinstance(v, float) and np.isnan(v) for v in parsed])
            rows_ok = np.flatnonzero(ok)
            bad.add(rows_ok[np.unique(np.flatnonzero(nonnum) // n)],
                    f"{name}: a value is not a number")
        nulls = ~flat.is_valid().to_numpy(zero_copy_only=False)
        if nulls.any():
            rows_ok = np.flatnonzero(ok)
            pos = np.flatnonzero(nulls)
            first = {}
            for p in pos:
                first.setdefault(int(rows_ok[p // n]), int(p % n))
            bad.add(np.fromiter(first, dtype=np.int64),
                    lambda r: f"{name}: null at position {first[r]} of the list (give every "
                    f"ticker a value, or leave the whole list null for the default)")
        vals = flat.fill_null(default).to_numpy(zero_copy_only=False).reshape(-1, n)
        if perm is not None:
            vals = vals[:, perm]
        out[ok] = vals
    return out


def _list_of_strings(table: pa.Table, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(row index, value) pairs of a list<string> column."""
    if name not in table.column_names:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
    col = table.column(name).combine_chunks()
    if pa.types.is_null(col.type) or not pa.types.is_list(col.type):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
    rows = pc.list_parent_indices(col).to_numpy(zero_copy_only=False)
    vals = np.asarray(pc.list_flatten(col).to_pylist(), dtype=object)
    return rows, vals


def _codes(values: pa.Array, names) -> np.ndarray:
    """(k,) the position of each string in ``names`` (−1 where absent or null)."""
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        values = pa.array([None if v is None else str(v) for v in values.to_pylist()],
                          pa.string())
    found = pc.index_in(values, value_set=pa.array(list(names), pa.string()))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _list_of_codes(table: pa.Table, name: str, names
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row index, position in ``names`` or −1, value) of a list<string> column's entries;
    the values only where the position is −1 (for the message), else None."""
    empty = np.zeros(0, dtype=np.int64)
    if name not in table.column_names:
        return empty, empty, np.zeros(0, dtype=object)
    col = table.column(name).combine_chunks()
    if pa.types.is_null(col.type) or not pa.types.is_list(col.type):
        return empty, empty, np.zeros(0, dtype=object)
    rows = pc.list_parent_indices(col).to_numpy(zero_copy_only=False)
    flat = pc.list_flatten(col)
    codes = _codes(flat, names)
    vals = np.full(len(codes), None, dtype=object)
    miss = np.flatnonzero(codes < 0)
    if len(miss):
        vals[miss] = np.asarray(flat.take(pa.array(miss)).to_pylist(), dtype=object)
    return rows, codes, vals


def batch_from_table(model: FleetModel, table: pa.Table
                     ) -> tuple[np.ndarray, InvestorBatch, np.ndarray, np.ndarray]:
    """Convert a chunk of the investor book to arrays.

    Returns
    -------
    ids : ndarray (B,) of str
    batch : InvestorBatch
    invalid : ndarray (B,) bool
        Rows with malformed input (they are not solved).
    messages : ndarray (B,) of str
        For invalid rows: the column, the value and what was expected.
    """
    b, n = table.num_rows, model.n_assets
    bad = _Invalid(b)
    if "investor_id" in table.column_names:
        raw = table.column("investor_id").to_pylist()
        ids = np.asarray(["" if v is None else str(v) for v in raw], dtype=object)
        empty = np.flatnonzero([v is None or str(v).strip() == "" for v in raw])
        bad.add(empty, "investor_id: empty (every investor needs a unique id)")
        seen: set[str] = set()
        dup = []
        for r, v in enumerate(ids):
            if v and v in seen:
                dup.append(r)
            seen.add(v)
        bad.add(np.asarray(dup, dtype=np.int64),
                lambda r: f"investor_id: {clip_text(ids[r], 40)} repeats an earlier row's id")
    else:
        ids = np.asarray([str(i) for i in range(b)], dtype=object)
    perm = _ticker_permutation(model, table.schema)
    batch = InvestorBatch.uniform(model, b)
    gamma = _scalar(table, "risk_aversion", np.nan, bad)
    level = _scalar(table, "risk_level", np.nan, bad)
    huge = np.isinf(gamma) | (np.isfinite(gamma) & (gamma > MAX_RISK_AVERSION))
    bad.add(np.flatnonzero(huge), lambda r: f"risk_aversion: {float(gamma[r]):g} is outside (0, "
            f"{MAX_RISK_AVERSION:g}]")
    from_level = np.isnan(gamma) & np.isfinite(level)
    lv_ok = from_level & np.isin(level, np.arange(1, 11))
    bad.add(np.flatnonzero(from_level & ~lv_ok),
            lambda r: f"risk_level: {float(level[r]):g} is not an integer 1–10")
    table_g = np.array([LEVEL_TABLE[k][0] for k in range(1, 11)])
    gamma[lv_ok] = table_g[level[lv_ok].astype(int) - 1]
    missing = np.isnan(gamma) & ~from_level
    bad.add(np.flatnonzero(missing), "risk_aversion and risk_level are both empty "
            "(give γ > 0 or a level 1–10)")
    nonpos = np.isfinite(gamma) & (gamma <= 0)
    bad.add(np.flatnonzero(nonpos), lambda r: f"risk_aversion: {float(gamma[r]):g} must be > 0")
    batch.risk_aversion = np.where(np.isfinite(gamma) & (gamma > 0), gamma, 3.0)

    batch.lower = _per_asset(table, "lower", n, 0.0, perm, bad)
    batch.upper = _per_asset(table, "upper", n, 1.0, perm, bad)
    over = np.isfinite(batch.upper) & (batch.upper > 1)
    bad.add(np.flatnonzero(over.any(axis=1)), lambda r: f"upper: "
            f"{batch.upper[r][over[r]][0]:g} is too large; weights are decimals <= 1 (0.25 "
            "for 25 %)")
    cap = _scalar(table, "max_weight_per_asset", 1.0, bad)
    bad.add(np.flatnonzero(~((cap > 0) & (cap <= 1))),
            lambda r: f"max_weight_per_asset: {float(cap[r]):g} is outside (0, 1]")
    batch.upper = np.minimum(batch.upper, np.where(np.isfinite(cap), cap, 1.0)[:, None])
    batch.current_weights = _per_asset(table, "current_weights", n, 0.0, perm, bad)
    batch.cost_rate = _per_asset(table, "cost_bps", n, 0.0, perm, bad) / 1e4
    for name, arr in (("lower", batch.lower), ("upper", batch.upper),
                      ("current_weights", batch.current_weights), ("cost_bps", batch.cost_rate)):
        rows = np.flatnonzero(~np.isfinite(arr).all(axis=1) | (arr < 0).any(axis=1))
        bad.add(rows, f"{name}: values must be finite and >= 0")
    for name, arr, hi, what in (
            ("lower", batch.lower, 1.0, "weights are decimals <= 1 (0.25 for 25 %)"),
            ("upper", batch.upper, 1.0, "weights are decimals <= 1 (0.25 for 25 %)"),
            ("current_weights", batch.current_weights, 1.0, "weights are decimals <= 1"),
            ("cost_bps", batch.cost_rate * 1e4, MAX_FEE_BPS, f"costs are bps <= {MAX_FEE_BPS:g}")):
        over = np.isfinite(arr) & (arr > hi)
        rows = np.flatnonzero(over.any(axis=1))
        bad.add(rows, lambda r, a=arr, o=over, nm=name, w=what:
                f"{nm}: {a[r][o[r]][0]:g} is too large; {w}")
    total = batch.current_weights.sum(axis=1)
    bad.add(np.flatnonzero(np.isfinite(total) & (total > 1 + 1e-6)),
            lambda r: f"current_weights: they sum to {total[r]:g}; holdings as weights sum "
            "to at most 1 (the rest is cash)")

    r_idx, codes, vals = _list_of_codes(table, "excluded_assets", model.tickers)
    known = codes >= 0
    batch.upper[r_idx[known], codes[known]] = 0.0
    for k in np.flatnonzero(~known):
        bad.add(np.array([r_idx[k]]),
                f"excluded_assets: {vals[k]!r} is not a ticker of the universe")
    r_idx, vals = _list_of_strings(table, "excluded_sectors")
    for r, v in zip(r_idx, vals):
        hit = [j for j, tags in enumerate(model.asset_tags) if v in tags]
        if not hit and v not in _KNOWN_TAGS:
            bad.add(np.array([r]), f"excluded_sectors: {v!r} matches no asset or tag")
        batch.upper[r, hit] = 0.0

    if "class_bounds" in table.column_names and pa.types.is_list(
            table.column("class_bounds").type):
        col = table.column("class_bounds").combine_chunks()
        rows = pc.list_parent_indices(col).to_numpy(zero_copy_only=False)
        flat = pc.list_flatten(col)
        names = flat.field("name").to_pylist()
        mins = flat.field("min").cast(pa.float64()).fill_null(0.0).to_numpy(
            zero_copy_only=False)
        maxs = flat.field("max").cast(pa.float64()).fill_null(1.0).to_numpy(
            zero_copy_only=False)
        group = _codes(flat.field("name"), model.group_names)
        with np.errstate(invalid="ignore"):
            in_range = (0 <= mins) & (mins <= 1) & (0 <= maxs) & (maxs <= 1) & (mins <= maxs)
        use = in_range & (group >= 0)
        # the stricter bound wins where a row names a class twice
        np.maximum.at(batch.group_min, (rows[use], group[use]), mins[use])
        np.minimum.at(batch.group_max, (rows[use], group[use]), maxs[use])
        for e in np.flatnonzero(~use):  # in entry order: a row reports its first problem
            r, name, lo, hi = rows[e], names[e], mins[e], maxs[e]
            if not in_range[e]:
                bad.add(np.array([r]), f"class_bounds: {clip_text(name, 30)} has min {float(lo):g} "
                        f"and max {float(hi):g}; expected 0 <= min <= max <= 1")
            else:
                bad.add(np.array([r]), f"class_bounds: {clip_text(name, 30)} is not an asset class of "
                        f"the universe (one of {list(model.group_names)})")

    batch.min_esg_score = _scalar(table, "min_esg_score", np.nan, bad)
    es = batch.min_esg_score
    bad.add(np.flatnonzero(np.isinf(es) | (np.isfinite(es) & ((es < 0) | (es > 100)))),
            lambda r: f"min_esg_score: {float(es[r]):g} is outside [0, 100]")
    if not model.has_esg_scores:
        bad.add(np.flatnonzero(np.isfinite(batch.min_esg_score)),
                "min_esg_score: the universe has no ESG scores")
    batch.esg_tilt = _scalar(table, "esg_tilt", 0.0, bad)
    tilt = batch.esg_tilt
    bad.add(np.flatnonzero(~((tilt >= 0) & (tilt <= 1))),
            lambda r: f"esg_tilt: {float(tilt[r]):g} is outside [0, 1]")
    batch.max_turnover = _scalar(table, "max_turnover", np.inf, bad)
    bad.add(np.flatnonzero(~(batch.max_turnover >= 0)),
            lambda r: f"max_turnover: {float(batch.max_turnover[r]):g} must be >= 0")
    batch.max_volatility = _scalar(table, "max_volatility", np.nan, bad)
    mv = batch.max_volatility
    bad.add(np.flatnonzero(np.isinf(mv) | (np.isfinite(mv) & ((mv <= 0) | (mv > 2)))),
            lambda r: f"max_volatility: {float(mv[r]):g} is outside (0, 2] (annual, decimal: 0.15 "
            "for 15 %)")
    # neutralise invalid rows so the batch validates; they are not solved
    if bad.mask.any():
        neutral = InvestorBatch.uniform(model, int(bad.mask.sum()))
        for f in ("lower", "upper", "current_weights", "cost_rate", "group_min", "group_max",
                  "min_esg_score", "esg_tilt", "max_turnover", "max_volatility",
                  "risk_aversion"):
            getattr(batch, f)[bad.mask] = getattr(neutral, f)
    return ids, batch, bad.mask, bad.message


def _ticker_permutation(model: FleetModel, schema: pa.Schema) -> np.ndarray | None:
    meta = schema.metadata or {}
    if TICKERS_KEY not in meta:
        return None
    from tailorfolio.errors import DataError

    tickers = json.loads(meta[TICKERS_KEY].decode())
    if list(tickers) == list(model.tickers):
        return None
    if sorted(tickers) != sorted(model.tickers):
        extra = sorted(set(tickers) - set(model.tickers))
        lacking = sorted(set(model.tickers) - set(tickers))
        raise DataError(
            f"The book's tickers do not match the universe (in the book only: {extra}; in "
            f"the universe only: {lacking}).", field="tailorfolio.tickers", value=tickers,
            expected=f"the tickers {list(model.tickers)}",
            fix="solve the book against the universe it was written for (--market)")
    pos = {t: i for i, t in enumerate(tickers)}
    return np.array([pos[t] for t in model.tickers])


# ---------------------------------------------------------------------- arrays -> book


def table_from_batch(model: FleetModel, ids, batch: InvestorBatch,
                     model_tag: str = "") -> pa.Table:
    """The investor-book table of ``batch`` (dense per-asset lists; exact round trip)."""
    b, n = batch.size, model.n_assets

    def lists(arr: FloatArray) -> pa.Array:
        return pa.ListArray.from_arrays(pa.array(np.arange(0, b * n + 1, n, dtype=np.int32)),
                                        pa.array(np.ascontiguousarray(arr).ravel()))

    def opt(arr: FloatArray, bad) -> pa.Array:
        return pa.array(arr, mask=bad(arr))

    cb_rows: list[list[dict]] = [[] for _ in range(b)]
    rr, gg = np.nonzero((batch.group_min > 0) | (batch.group_max < 1))
    for r, g in zip(rr, gg):
        cb_rows[r].append({"name": model.group_names[g], "min": float(batch.group_min[r, g]),
                           "max": float(batch.group_max[r, g])})
    schema = book_schema(model.tickers, model_tag)
    cols = {
        "investor_id": pa.array([str(x) for x in ids], pa.string()),
        "risk_aversion": pa.array(batch.risk_aversion, pa.float64()),
        "risk_level": pa.nulls(b, pa.int8()),
        "lower": lists(batch.lower), "upper": lists(batch.upper),
        "max_weight_per_asset": pa.nulls(b, pa.float64()),
        "excluded_assets": pa.nulls(b, pa.list_(pa.string())),
        "excluded_sectors": pa.nulls(b, pa.list_(pa.string())),
        "class_bounds": pa.array(cb_rows, schema.field("class_bounds").type),
        "min_esg_score": opt(batch.min_esg_score, np.isnan),
        "esg_tilt": pa.array(batch.esg_tilt, pa.float64()),
        "current_weights": lists(batch.current_weights),
        "cost_bps": lists(batch.cost_rate * 1e4),
        "max_turnover": opt(batch.max_turnover, lambda a: ~np.isfinite(a)),
        "max_volatility": opt(batch.max_volatility, np.isnan),
    }
    return pa.Table.from_pydict(cols, schema=schema)


# ---------------------------------------------------------------------- results -> plan


def plan_table(ids, result: BatchResult, risk_aversion: FloatArray, invalid: np.ndarray,
               messages: np.ndarray, tickers) -> pa.Table:
    """The plan rows of one chunk (invalid rows get status ``invalid`` and their message)."""
    n = result.weights.shape[1]
    status = result.status.astype(object).copy()
    message = result.message.astype(object).copy()
    method = result.method.astype(object).copy()
    status[invalid] = STATUS_INVALID
    message[invalid] = messages[invalid]
    method[invalid] = ""
    w = result.weights.copy()
    w[invalid] = np.nan
    has_w = np.isfinite(w).all(axis=1)
    offsets = np.concatenate([[0], np.cumsum(np.where(has_w, n, 0))]).astype(np.int32)
    weights = pa.ListArray.from_arrays(pa.array(offsets), pa.array(w[has_w].ravel()),
                                       mask=pa.array(~has_w))

    def num(a):
        a = np.asarray(a, dtype=float).copy()
        a[invalid | ~has_w] = np.nan
        return pa.array(a, pa.float64(), mask=np.isnan(a))

    cols = [
        pa.array([str(x) for x in ids], pa.string()), pa.array(status.tolist(), pa.string()),
        pa.array(method.tolist(), pa.string()), pa.array(message.tolist(), pa.string()),
        weights, num(result.expected_return), num(result.volatility), num(result.sharpe),
        num(result.utility), num(result.turnover), num(result.cost),
        pa.array(np.where(invalid, np.nan, risk_aversion), pa.float64()),
        pa.array(result.primal_residual, pa.float64(), mask=np.isnan(result.primal_residual)),
        pa.array(result.dual_residual, pa.float64(), mask=np.isnan(result.dual_residual)),
        pa.array(result.iterations.astype(np.int64)),
    ]
    return pa.Table.from_arrays(cols, schema=plan_schema(tickers))


def plan_schema(tickers) -> pa.Schema:
    return PLAN_SCHEMA.with_metadata({TICKERS_KEY: json.dumps(list(tickers)).encode()})
