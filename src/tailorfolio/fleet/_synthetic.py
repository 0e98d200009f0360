"""Seeded synthetic universes and investor books (for trying the fleet engine and benchmarks).

:func:`factor_model_universe` builds an ``n``-asset universe from a seeded factor model
(market, size, rates and credit factors plus idiosyncratic risk), with broad and fine asset
classes and ESG scores, so every constraint type of the fleet problem can be exercised.
:func:`synthetic_book` draws a robo-advisor-like book for any :class:`FleetModel`: risk levels
centred on the middle of the 1–10 scale (γ from the foundation's level table with individual
variation), most accounts already invested with drifted holdings, some with a cash top-up;
per-asset caps, exclusions, class floors/ceilings, ESG floors, transaction costs and turnover
caps in plausible proportions. A few investors are deliberately infeasible (e.g. a holding in
an asset they now exclude, to be sold under a turnover cap that is too tight): a real book has
them and the engine must report them without stopping.
"""

from __future__ import annotations

import numpy as np

from tailorfolio.fleet._model import FleetModel, InvestorBatch
from tailorfolio.risk._scoring import LEVEL_TABLE

_CLASSES = (  # (fine class, broad class, factor loadings (mkt, size, rates, credit), vol, ret)
    ("us_equity", "equity", (1.0, 0.1, -0.1, 0.2), 0.08, 0.065),
    ("intl_equity", "equity", (0.9, 0.2, -0.1, 0.2), 0.10, 0.075),
    ("em_equity", "equity", (1.1, 0.3, -0.1, 0.3), 0.14, 0.085),
    ("real_estate", "real_asset", (0.7, 0.3, 0.3, 0.2), 0.12, 0.062),
    ("govt_bond", "bond", (-0.1, 0.0, 1.0, 0.0), 0.02, 0.038),
    ("credit_bond", "bond", (0.2, 0.0, 0.8, 0.6), 0.03, 0.050),
    ("cash", "cash", (0.0, 0.0, 0.05, 0.0), 0.002, 0.034),
)
_FACTOR_VOL = np.array([0.16, 0.06, 0.05, 0.04])


def factor_model_universe(n_assets: int, *, seed: int = 0) -> FleetModel:
    """A seeded ``n_assets`` universe (see module docstring); one cash asset at most."""
    rng = np.random.default_rng(seed)
    risky = len(_CLASSES) - 1  # every class but cash, in turn; one cash asset last
    labels = [i % risky for i in range(n_assets - 1)] + [risky]
    labels = np.sort(np.array(labels))
    loads = np.array([_CLASSES[k][2] for k in labels]) * rng.uniform(0.7, 1.3, (n_assets, 4))
    idio = np.array([_CLASSES[k][3] for k in labels]) * rng.uniform(0.6, 1.4, n_assets)
    fcov = np.diag(_FACTOR_VOL**2)
    cov = loads @ fcov @ loads.T + np.diag(idio**2)
    mu = np.array([_CLASSES[k][4] for k in labels]) + rng.normal(0, 0.008, n_assets)
    mu[labels == len(_CLASSES) - 1] = 0.034
    tickers = tuple(f"A{i:03d}" for i in range(n_assets))
    fine = [_CLASSES[k][0] for k in labels]
    broad = [_CLASSES[k][1] for k in labels]
    names: list[str] = []
    rows = []
    for lab in (broad, fine):
        for name in dict.fromkeys(lab):
            if name in names:
                continue
            names.append(name)
            rows.append(np.array([1.0 if x == name else 0.0 for x in lab]))
    esg = np.round(rng.uniform(20, 90, n_assets), 1)
    tags = tuple(frozenset({t, f, b}) for t, f, b in zip(tickers, fine, broad))
    return FleetModel(tickers, mu, cov, tuple(names), np.vstack(rows), esg, tags, 0.034)


def synthetic_book(model: FleetModel, size: int, *, seed: int = 0,
                   infeasible_share: float = 0.002) -> InvestorBatch:
    """``size`` investors drawn for ``model`` (see module docstring); deterministic in seed."""
    rng = np.random.default_rng(seed)
    n, k = model.n_assets, model.n_groups
    batch = InvestorBatch.uniform(model, size)
    levels = np.clip(np.round(rng.normal(5.8, 1.9, size)), 1, 10).astype(int)
    gamma = np.array([LEVEL_TABLE[int(v)][0] for v in levels])
    batch.risk_aversion = gamma * np.exp(rng.normal(0.0, 0.08, size))
    # per-asset caps
    capped = rng.random(size) < 0.35
    cap = rng.choice([0.20, 0.25, 0.30, 0.40], size)
    min_cap = 1.0 / max(n - 3, 1) + 0.02
    batch.upper[capped] = np.minimum(np.maximum(cap[capped], min_cap), 1.0)[:, None]
    # exclusions: 1–2 non-cash assets
    cash_like = _members(model, "cash")
    pickable = np.flatnonzero(~cash_like)
    excl = rng.random(size) < 0.15
    for i in np.flatnonzero(excl):
        for j in rng.choice(pickable, size=rng.integers(1, 3), replace=False):
            batch.upper[i, j] = 0.0
    # class floors and ceilings
    names = list(model.group_names)
    if "cash" in names:
        g = names.index("cash")
        has = rng.random(size) < 0.25
        batch.group_min[has, g] = rng.uniform(0.02, 0.08, has.sum())
    if "bond" in names:
        g = names.index("bond")
        has = rng.random(size) < 0.15
        batch.group_min[has, g] = rng.uniform(0.1, 0.4, has.sum())
    if "equity" in names:
        g = names.index("equity")
        has = rng.random(size) < 0.10
        batch.group_max[has, g] = rng.uniform(0.4, 0.8, has.sum())
    # ESG floor at a percentile of the universe's scores
    if model.has_esg_scores:
        s = model.esg_vector()
        has = rng.random(size) < 0.15
        batch.min_esg_score[has] = np.percentile(s, rng.uniform(40, 65, has.sum()))
        batch.esg_tilt[has & (rng.random(size) < 0.5)] = 0.02
    # holdings: most accounts invested (drifted), 30 % new money
    invested = rng.random(size) < 0.7
    raw = rng.gamma(0.6, 1.0, (size, n)) * (rng.random((size, n)) < 0.6)
    tot = raw.sum(axis=1, keepdims=True)
    raw = np.divide(raw, tot, out=np.zeros_like(raw), where=tot > 0)
    frac = rng.uniform(0.9, 1.0, size)
    batch.current_weights = np.where(invested[:, None], raw * frac[:, None], 0.0)
    batch.cost_rate = np.broadcast_to(rng.choice([0.0005, 0.001, 0.002], size)[:, None],
                                      (size, n)).copy()
    batch.cost_rate[:, cash_like] = 0.0
    # turnover caps for some invested accounts, loose enough for the trades their other
    # constraints force (bounds, class floors and ceilings, the cash top-up)
    capped_t = invested & (rng.random(size) < 0.2)
    w0 = batch.current_weights
    forced = 2 * (np.maximum(batch.lower - w0, 0) + np.maximum(w0 - batch.upper, 0)).sum(axis=1)
    held = w0 @ model.group_matrix.T if k else np.zeros((size, 0))
    forced += 2 * (np.maximum(batch.group_min - held, 0).sum(axis=1)
                   + np.maximum(held - batch.group_max, 0).sum(axis=1))
    forced += 2 * (1 - w0.sum(axis=1))
    no_esg = ~np.isfinite(batch.min_esg_score)
    capped_t &= no_esg
    batch.max_turnover[capped_t] = (forced + rng.uniform(0.1, 0.4, size))[capped_t]
    # a few deliberately infeasible investors
    bad = np.flatnonzero(rng.random(size) < infeasible_share)
    for i in bad:
        if "bond" in names and "equity" in names and rng.random() < 0.5:
            batch.group_min[i, names.index("bond")] = 0.7
            batch.group_min[i, names.index("equity")] = 0.5
        else:
            j = int(np.argmax(batch.current_weights[i])) if invested[i] else int(pickable[0])
            batch.current_weights[i, j] = max(batch.current_weights[i, j], 0.3)
            batch.upper[i, j] = 0.0
            batch.max_turnover[i] = 0.1
    return batch


def _members(model: FleetModel, name: str) -> np.ndarray:
    if name in model.group_names:
        return model.group_matrix[list(model.group_names).index(name)] > 0
    return np.zeros(model.n_assets, dtype=bool)
