"""What-if for a stored plan: rebuild the plan's sleeves once per process, then answer every
slider move on the plan's own simulated markets (:mod:`tailorfolio.planning._whatif`).

The first question about a plan rebuilds the stages that decide its sleeves from the plan's
recorded inputs (profile, overrides, settings, date; a second or two) and stores its draws;
later questions take a fraction of a second. A small per-process cache
(:data:`CACHED_PLANS` plans, least recently used first out) keeps the memory bounded: the
stored draws of a long plan are up to :data:`~tailorfolio.planning._whatif.
MAX_STORED_DRAWS_BYTES`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tailorfolio.limits import MAX_MONEY
from tailorfolio.service._errors import ConflictError
from tailorfolio.service._market_store import market_for_spec, market_spec_of
from tailorfolio.service._models import PlanRecord

CACHED_PLANS = 2
"""Plans whose what-if state one process keeps."""

MAX_GOAL_AMOUNTS = 50
"""Most goal amounts one what-if may change (the profile's goal limit is lower)."""


class WhatIfBody(BaseModel):
    """Inputs to change (omitted: the plan's value)."""

    model_config = ConfigDict(extra="forbid")
    annual_saving: float | None = Field(default=None, ge=0, le=MAX_MONEY, description=(
        "The household's planned saving per year over all goals (each goal's saving scales "
        "in proportion)."))
    retirement_age: int | None = Field(default=None, ge=30, le=100, description=(
        "Age at which the income goals start; their last year stays where it was."))
    retirement_spending: float | None = Field(default=None, gt=0, le=MAX_MONEY, description=(
        "Spending per year in retirement over all income goals, today's money."))
    risk_level: int | None = Field(default=None, ge=1, le=10, description=(
        "Moves every sleeve's stocks cap along the plan's portfolio family."))
    goal_amounts: dict[str, float] = Field(default_factory=dict, max_length=MAX_GOAL_AMOUNTS,
                                           description="Goal name → amount (per year for "
                                                       "income goals).")


class WhatIfCache:
    """What-if state per plan id, at most ``size`` plans, built once even under concurrent
    requests (one lock per plan being built)."""

    def __init__(self, size: int = CACHED_PLANS) -> None:
        self.size = size
        self._items: OrderedDict[int, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[int, threading.Lock] = {}

    def get(self, row: PlanRecord, sessions: Any = None) -> Any:
        with self._lock:
            if row.id in self._items:
                self._items.move_to_end(row.id)
                return self._items[row.id]
            build_lock = self._building.setdefault(row.id, threading.Lock())
        with build_lock:
            with self._lock:
                if row.id in self._items:
                    return self._items[row.id]
            item = build_whatif(row, sessions)
            with self._lock:
                self._items[row.id] = item
                self._items.move_to_end(row.id)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
                self._building.pop(row.id, None)
            return item


def cache_of(state: Any) -> WhatIfCache:
    """The application's cache (created on first use)."""
    cache = getattr(state, "whatif_cache", None)
    if cache is None:
        cache = WhatIfCache()
        state.whatif_cache = cache
    return cache


def build_whatif(row: PlanRecord, sessions: Any = None) -> Any:
    """The :class:`~tailorfolio.planning._whatif.WhatIf` of a stored plan, from its recorded
    inputs (with the advisor's overrides it was made under) and on the market it was made
    with: the firm's market version it recorded, read through ``sessions`` (a session
    factory), or the bundled market.

    Raises
    ------
    ConflictError
        The plan was made without a goals simulation.
    """
    from tailorfolio.planning._overrides import apply_overrides, overrides_from_dicts
    from tailorfolio.planning._settings import PlanSettings
    from tailorfolio.planning._whatif import WhatIf
    from tailorfolio.profile._parse import parse_profile

    inputs = row.inputs
    settings = PlanSettings.model_validate(inputs["settings"])
    if settings.goal_paths <= 0 or not (row.report.get("plan", {}).get("goals")):
        raise ConflictError(
            f"Plan {row.id} was made without a goals simulation, so there is nothing to "
            "re-simulate.", field="plan_id", value=row.id,
            fix="make a new plan on a server with goal_paths > 0")
    profile = parse_profile(inputs["profile"])
    market = market_for_spec(_market_spec(row, sessions))
    overrides = overrides_from_dicts(inputs.get("overrides") or [])
    if overrides:
        profile = apply_overrides(profile, overrides, market)
    return WhatIf.from_inputs(profile, market, settings, date.fromisoformat(inputs["as_of"]))


def _market_spec(row: PlanRecord, sessions: Any) -> dict[str, Any] | None:
    """The market spec of the version ``row`` was made with (``None``: the bundled market)."""
    from tailorfolio.service._models import MarketVersion

    if row.market_version_id is None:
        return None
    if sessions is None:
        raise ConflictError(
            f"Plan {row.id} was made with firm market version id {row.market_version_id}, "
            "which this what-if cannot read.", field="plan_id", value=row.id,
            fix="open the what-if through the service")
    with sessions() as db:
        return market_spec_of(db.get(MarketVersion, row.market_version_id))


def stored_probabilities(row: PlanRecord) -> dict[str, float]:
    """Goal name → probability as stored with the plan."""
    goals = (row.report.get("plan", {}).get("goals") or {}).get("outcomes", [])
    return {g["name"]: float(g["probability"]) for g in goals}


def change_of(body: WhatIfBody) -> Any:
    from tailorfolio.planning._whatif import WhatIfChange

    return WhatIfChange(body.annual_saving, body.retirement_age, body.retirement_spending,
                        body.risk_level, dict(body.goal_amounts))


def result_view(row: PlanRecord, wi: Any, res: Any, elapsed_s: float) -> dict[str, Any]:
    """The JSON answer of one what-if."""
    stored = stored_probabilities(row)
    return {
        "plan_id": row.id, "n_paths": res.n_paths, "seed": res.seed,
        "elapsed_ms": round(1e3 * elapsed_s, 1),
        "reproduces_stored_plan": all(
            stored.get(g.name) == g.plan_probability for g in res.goals),
        "inputs": _inputs(res.inputs), "plan_inputs": _inputs(wi.inputs()),
        "goals": [{"name": g.name, "kind": g.kind, "priority": g.priority, "amount": g.amount,
                   "plan_probability": g.plan_probability,
                   "stored_probability": stored.get(g.name), "probability": g.probability,
                   "change": g.change} for g in res.goals],
        "equity_share_now": res.equity_share_now,
        "plan_equity_share_now": res.plan_equity_share_now,
        "expected_return_now": res.expected_return_now,
        "plan_expected_return_now": res.plan_expected_return_now,
        "volatility_now": res.volatility_now,
        "weighted_success": res.weighted_success,
        "plan_weighted_success": res.plan_weighted_success,
        "weights_now": {t: w for t, w in res.weights_now.items() if w >= 1e-4},
    }


def _inputs(ins: Any) -> dict[str, Any]:
    return {"annual_saving": ins.annual_saving, "retirement_age": ins.retirement_age,
            "retirement_spending": ins.retirement_spending, "risk_level": ins.risk_level,
            "goal_amounts": dict(ins.goal_amounts)}


def evaluate(state: Any, row: PlanRecord, body: WhatIfBody) -> dict[str, Any]:
    """Answer one what-if of ``row`` (see :class:`WhatIfBody`)."""
    wi = cache_of(state).get(row, getattr(state, "sessions", None))
    t0 = time.perf_counter()
    res = wi.evaluate(change_of(body))
    return result_view(row, wi, res, time.perf_counter() - t0)


def plan_defaults(state: Any, row: PlanRecord) -> dict[str, Any]:
    """The plan's own inputs and odds (the sliders' starting point)."""
    return evaluate(state, row, WhatIfBody())
