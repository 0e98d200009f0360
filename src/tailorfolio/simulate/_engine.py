"""The vectorised Monte Carlo engine: monthly steps, every path of a chunk at once.

The only Python loop is over months (and over pots and goals inside a month); every operation
inside is a numpy array operation over the paths of a chunk, in the simulator core's
asset-major layout (holdings ``(n_assets, paths)``). The month's growth factors come from the
core (:class:`tailorfolio.simulate._core.GrowthStream`): correlated returns and inflation on
common random numbers, so results depend on the seed only — not on ``chunk_size``, which just
bounds memory — and two specs simulated with the same seed see the same markets.

Order of events in month ``t`` (start of month): record the yearly snapshot (when ``t`` is a
multiple of 12), deposits (bought at the month's target weights), goal withdrawals in priority
order (income goals first take the month's household income, ``SimulationSpec.income_real`` /
``income_nominal``; the rest is sold pro rata across assets; tax buckets in the order of
:class:`TaxTreatment`), sweeps
of finished sleeves into their receiving pots (``Pot.sweep_to``), rebalancing (every ``rebalance_every_months``, and on the paths whose weights left the drift
band when the spec has one), then the month's returns net of fees and the month's inflation.

Accounting per path: taxes on withdrawals and (when the spec's tax treatment says so) on the
gains realized by rebalancing sales; turnover, the sum over rebalancing trades of
``sum |trade| / household wealth`` (buys and sells both counted, so switching 10 % of a
portfolio from one fund to another is 0.2); and the after-tax liquidation value at the end
(taxable money less capital-gains tax on its gain, traditional money less ordinary tax, Roth
as is). None of it is computed in a month without a trade, so it costs nothing measurable.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np

from tailorfolio.errors import ParameterError
from tailorfolio.simulate._core import DEFAULT_CHUNK_SIZE, GrowthStream, path_chunks
from tailorfolio.simulate._result import SimulationResult
from tailorfolio.simulate._returns import ReturnModel
from tailorfolio.simulate._spec import SimulationSpec
from tailorfolio.simulate._threads import single_threaded_blas
from tailorfolio.typing import FloatArray

FUNDED_RTOL = 1e-9
"""A withdrawal counts as met when at least (1 - FUNDED_RTOL) of it was paid."""


@dataclass
class _ChunkOut:
    real_wealth_by_year: FloatArray  # (n_years + 1, p)
    funded_real: FloatArray  # (n_goals, p)
    success: np.ndarray  # (n_goals, p) bool
    wealth_at_due_real: FloatArray  # (n_goals, p)
    taxes_real: FloatArray  # (p,)
    final_nominal: FloatArray  # (p,)
    final_price_level: FloatArray  # (p,)
    gains_taxes_real: FloatArray  # (p,)
    turnover: FloatArray  # (p,)
    rebalances: FloatArray  # (p,) pot-rebalancing events
    final_after_tax_real: FloatArray  # (p,)
    final_balance_real: FloatArray  # (3, p)
    growth_by_year: FloatArray | None = None  # (n_growth_years, n_assets + 1, p)


@dataclass
class _ChunkState:
    """Every path's state at the start of step ``step``, before anything happens in it."""

    step: int
    holdings: list[FloatArray]
    vals: list[FloatArray]
    basis: list[FloatArray]
    vlast: list[FloatArray]
    price: FloatArray
    out: _ChunkOut

    def copy(self) -> _ChunkState:
        return _ChunkState(
            self.step, [h.copy() for h in self.holdings], [v.copy() for v in self.vals],
            [b.copy() for b in self.basis], [v.copy() for v in self.vlast], self.price.copy(),
            _ChunkOut(*(None if x is None else x.copy()
                        for x in (getattr(self.out, f.name) for f in fields(_ChunkOut)))))


def _withdraw(vals: FloatArray, basis: FloatArray, need: FloatArray, spec: SimulationSpec,
              t: int) -> tuple[FloatArray, FloatArray]:
    """Withdraw ``need`` (net, nominal, per path) from the tax buckets ``vals`` (3, p) in place.

    Returns the net amount paid and the tax paid, each ndarray (p,).

    The masks below (empty taxable money, a zero keep rate) are applied only where some path
    needs them, and an empty traditional bucket is skipped: on the other paths the masked
    forms compute the same quotients, and a bucket holding zero pays zero (the same numbers,
    without the month's dozen extra array operations).
    """
    tax = spec.tax
    rem = need.copy()
    # Taxable: selling a fraction f realizes f × (value − basis) of gain.
    v_tx = vals[0]
    held = v_tx > 0
    every_path_held = bool(np.logical_and.reduce(held))
    tx_safe = v_tx if every_path_held else np.where(held, v_tx, 1.0)
    gain_frac = 1.0 - basis / tx_safe  # never -0.0 (1 - y is +0.0 when y = 1)
    np.maximum(gain_frac, 0.0, out=gain_frac)  # np.clip(·, 0, 1), without its wrapper
    np.minimum(gain_frac, 1.0, out=gain_frac)
    if not every_path_held:
        gain_frac[~held] = 0.0
    keep = 1.0 - tax.capital_gains_rate * gain_frac
    net_cap = v_tx * keep
    take = np.minimum(rem, net_cap)
    if tax.capital_gains_rate < 1.0:  # keep >= 1 - rate > 0 on every path
        gross = take / keep
    else:
        gross = np.divide(take, keep, out=np.zeros_like(take), where=keep > 0)
    gross = np.minimum(gross, v_tx)
    sold = gross / tx_safe
    if not every_path_held:
        sold[~held] = 0.0
    basis *= 1.0 - sold
    vals[0] -= gross
    taxes = gross - take  # the zeros the taxes start from, plus this: the same numbers
    rem -= take
    # Traditional: ordinary income (+ early-withdrawal penalty before 59½).
    if np.logical_or.reduce(vals[1]):  # an empty bucket pays (and is taxed) nothing
        rate = tax.ordinary_rate + (tax.early_penalty_rate if t < tax.penalty_before_step
                                    else 0.0)
        keep_tr = max(1.0 - rate, 1e-9)
        take = np.minimum(rem, vals[1] * keep_tr)
        gross = np.minimum(take / keep_tr, vals[1])
        vals[1] -= gross
        taxes += gross - take
        rem -= take
    # Roth: tax free.
    take = np.minimum(rem, vals[2])
    vals[2] -= take
    rem -= take
    np.maximum(vals, 0.0, out=vals)
    return need - rem, taxes


def _run_chunk(spec: SimulationSpec, stream: GrowthStream, growth_years: int = 0, *,
               resume: _ChunkState | None = None, snapshot_at: int | None = None,
               side_by_side: list[FloatArray] | None = None, last_step: int | None = None
               ) -> tuple[_ChunkOut, _ChunkState | None]:
    """One chunk of paths; from ``resume``'s step on when given (its state is copied, not
    changed); the state at the start of step ``snapshot_at`` is returned too (None without
    it). With ``last_step``, the chunk stops at the first segment starting after it (no
    final accounting): only what is final by then (a goal's success once its last
    withdrawal is paid) is meaningful.
    ``side_by_side`` (per pot, ndarray (n_specs, n_steps, n_assets)): the weights of
    specs that agree on everything else, simulated on consecutive blocks of paths, each block
    on the stream's paths (:func:`simulate_many`; no rebalancing band).

    Every array over paths is ``(..., n_specs · paths)``; its view ``(..., n_specs, paths)``
    (``blocks``) lets a spec's weights and the stream's growth broadcast over their blocks
    without being copied (one block, ``n_specs = 1``, without ``side_by_side``)."""
    n_assets, n_steps = len(spec.tickers), spec.n_steps
    n_goals = len(spec.goals)
    n_specs = 1 if side_by_side is None else len(side_by_side[0])
    q = stream.n_paths
    p = n_specs * q
    if side_by_side is None:
        weights = [np.ascontiguousarray(spec.weights_path(k)) for k in range(len(spec.pots))]
        wcols = [w[:, :, None, None] for w in weights]  # each (n_steps, n_assets, 1, 1)
    else:
        assert spec.rebalance_band is None and not growth_years
        weights = [np.ascontiguousarray(spec.weights_path(k)) for k in range(len(spec.pots))]
        wcols = [np.ascontiguousarray(w.transpose(1, 2, 0))[..., None]  # (n_steps, n_assets,
                 for w in side_by_side]                                # n_specs, 1)

    def blocks(x: FloatArray) -> FloatArray:
        """The view ``(..., n_specs, paths)`` of an array ``(..., n_specs · paths)``."""
        return x.reshape(x.shape[:-1] + (n_specs, q))

    holdings, vals, basis, vlast = [], [], [], []  # holdings[k]: (n_assets, p)
    for k, pot in enumerate(spec.pots):
        total = pot.initial_total
        # The products w_i · total of the outer product, spec by spec.
        holdings.append((wcols[k][0] * np.full((n_specs, q), total)).reshape(n_assets, p))
        vals.append(np.repeat(np.asarray(pot.initial_balance, float)[:, None], p, axis=1))
        basis.append(np.full(p, float(min(pot.taxable_basis, pot.initial_balance[0]))))
        vlast.append(np.full(p, total))
    price = np.ones(p)
    out = _ChunkOut(np.empty((spec.n_years + 1, p)), np.zeros((n_goals, p)),
                    np.ones((n_goals, p), dtype=bool), np.zeros((n_goals, p)), np.zeros(p),
                    np.empty(p), np.empty(p), np.zeros(p), np.zeros(p), np.zeros(p),
                    np.empty(p), np.zeros((3, p)))
    out.taxes_real += spec.transition_tax
    growth_steps = 12 * growth_years
    if growth_years:
        # Each year's product starts from its first segment's factors (1.0 times them, the
        # same numbers) instead of a fill with ones.
        out.growth_by_year = np.empty((growth_years, n_assets + 1, p))
    first_step = 0
    if resume is not None:
        state = resume.copy()
        first_step = state.step
        holdings, vals, basis, vlast = state.holdings, state.vals, state.basis, state.vlast
        price, out = state.price, state.out
    held_blocks = [blocks(h) for h in holdings]  # views: (n_assets, n_specs, paths)
    price_blocks = blocks(price)
    snapshot = None
    growth_acc = out.growth_by_year  # None unless growth_years
    # Which goals withdraw in which month, in funding order.
    order = sorted(range(n_goals), key=lambda j: (spec.goals[j].priority_rank,
                                                  spec.goals[j].due_step))
    wd = np.array([g.real_withdrawal for g in spec.goals]) if n_goals else np.zeros((0, n_steps))
    active_months = set(np.flatnonzero(wd.sum(axis=0) > 0).tolist())
    due = {g.due_step for g in spec.goals}
    contrib = [pot.monthly_contribution for pot in spec.pots]
    split = [np.asarray(pot.contribution_split, float) for pot in spec.pots]
    # Each month's deposit into the assets (bought at the month's target weights) and into
    # the tax buckets: the products c · w_i and c · split_b, all months at once.
    deposit_assets = [np.asarray(c, float)[:, None, None, None] * wc
                      for c, wc in zip(contrib, wcols, strict=True)]
    deposit_buckets = [np.asarray(c, float)[:, None, None] * sp[None, :, None]
                       for c, sp in zip(contrib, split, strict=True)]
    deposit_taxable = [(np.asarray(c, float) * sp[0]).tolist()
                       for c, sp in zip(contrib, split, strict=True)]
    deposit_total = [np.asarray(c, float).tolist() for c in contrib]  # Python floats
    pot_range = range(len(spec.pots))
    k_reb = spec.rebalance_every_months
    nominal = [g.nominal for g in spec.goals]
    takes_income = [g.kind == "income" for g in spec.goals]
    inc_real = spec.income_real if spec.income_real is not None else np.zeros(n_steps)
    inc_nominal = spec.income_nominal if spec.income_nominal is not None else np.zeros(n_steps)
    band = spec.rebalance_band
    thresholds = ([band.thresholds(w)[:, :, None] for w in weights] if band is not None
                  else None)  # each (n_steps, n_assets, 1)
    cg_rate = spec.tax.capital_gains_rate if spec.tax.tax_rebalancing_gains else 0.0
    scratch = [np.empty((n_assets, p)) for _ in spec.pots] if band is not None else []
    sweeps: dict[int, list[tuple[int, int]]] = {}
    for k, pot in enumerate(spec.pots):
        if pot.sweep_to is not None:
            sweeps.setdefault(pot.sweep_step, []).append((k, pot.sweep_to))

    # Whether vlast[k] is known to be positive on every path without looking: it is right
    # after a deposit (the pot's value, never negative, plus a positive amount), which is
    # most months of a saving household's horizon.
    positive = [False] * len(spec.pots)

    def sync(k: int) -> FloatArray:
        """Bring the tax-bucket values of pot k up to the current pot value."""
        v = np.add.reduce(holdings[k], axis=0)  # ndarray.sum without its Python wrapper
        last = vlast[k]  # replaced by v below, and held by no one else: the quotient's buffer
        if positive[k] or np.minimum.reduce(last) > 0:  # the quotients without the mask
            growth = np.divide(v, last, out=last)
        else:
            growth = np.zeros(p)
            np.divide(v, last, out=growth, where=last > 0)  # emptied pots stay at zero
        vals[k] *= growth
        vlast[k] = v
        positive[k] = False
        return v

    def _rebalance(t: int, calendar: bool) -> None:
        """Trade every pot back to month ``t``'s target on the paths due for it (all paths on
        a calendar date, else those whose weights left the band)."""
        household = None
        for k in range(len(spec.pots)):
            h = holdings[k]
            v = np.add.reduce(h, axis=0)  # ndarray.sum without its Python wrapper
            idx = None
            if not calendar:
                assert thresholds is not None
                buf = scratch[k]
                held = v > 0
                np.divide(h, np.where(held, v, 1.0), out=buf)
                buf -= wcols[k][t][:, 0]
                np.abs(buf, out=buf)
                idx = np.flatnonzero((buf > thresholds[k][t]).any(axis=0) & held)
                if idx.size == 0:
                    continue
            if household is None:
                household = (v if len(holdings) == 1
                             else sum(hh.sum(axis=0) for hh in holdings))
            if idx is None:
                trade = np.multiply(wcols[k][t], blocks(v)).reshape(n_assets, p)
                trade -= h
                h += trade
                traded = np.add.reduce(np.abs(trade, out=trade), axis=0)
                out.turnover += traded / (household if np.minimum.reduce(household) > 0
                                          else np.where(household > 0, household, 1.0))
                out.rebalances += v > 0
                if cg_rate <= 0:
                    continue
                sold = 0.5 * traded
            else:
                trade = wcols[k][t][:, 0] * v[idx] - h[:, idx]
                traded = np.abs(trade).sum(axis=0)
                out.turnover[idx] += traded / household[idx]  # due paths hold money
                out.rebalances[idx] += 1
                h[:, idx] += trade
                sold = np.zeros(p)
                sold[idx] = 0.5 * traded
            if cg_rate > 0:
                _tax_rebalancing_sales(k, v, sold)

    def _tax_rebalancing_sales(k: int, v: FloatArray, sold: FloatArray) -> None:
        """Capital-gains tax on the taxable share of ``sold`` (sales = half the |trades|),
        paid out of pot ``k``. Safe denominators instead of ``np.errstate``: this runs in most
        months of a banded glide path, where the context manager's cost shows."""
        if not vals[k][0].any():  # no taxable money in this pot (growth keeps zero at zero)
            return
        sync(k)
        v_tx = vals[k][0]
        v_safe = np.where(v > 0, v, 1.0)
        tx_safe = np.where(v_tx > 0, v_tx, 1.0)
        gain_frac = np.clip(1.0 - basis[k] / tx_safe, 0.0, 1.0)
        sold_tx = np.minimum(sold * (v_tx / v_safe), v_tx)
        tax = cg_rate * gain_frac * sold_tx
        basis[k] *= 1.0 - sold_tx / tx_safe
        basis[k] += sold_tx - tax
        v_tx -= tax
        holdings[k] *= 1.0 - tax / v_safe
        vlast[k] = v - tax
        tax_real = tax / price
        out.gains_taxes_real += tax_real
        out.taxes_real += tax_real

    # Months at whose start something happens; the growth of the months between comes in
    # one piece from the core (GrowthStream.segments).
    needed = np.arange(n_steps) % 12 == 0
    for k in range(len(spec.pots)):
        needed |= contrib[k] > 0
    needed[sorted(active_months | set(sweeps))] = True
    if k_reb:
        needed |= np.arange(n_steps) % k_reb == 0
    if thresholds is not None:
        needed[:] = True
    for step in (first_step, snapshot_at):
        if step is not None and step < n_steps:
            needed[step] = True  # a checkpoint is the start of a segment
    # What happens at the start of each month, as Python lists: the loop below reads them
    # hundreds of times per simulation, where a numpy scalar, a set lookup or modular
    # arithmetic would cost more than some of the month's array operations.
    depositing: list[tuple[int, ...]] = [()] * n_steps  # the pots receiving a deposit
    for k in pot_range:
        for t in np.flatnonzero(contrib[k] > 0).tolist():
            depositing[t] = (*depositing[t], k)
    withdrawing = [False] * n_steps
    for t in active_months:
        withdrawing[t] = True
    calendar_at = [False] * n_steps
    if k_reb:
        calendar_at[k_reb::k_reb] = [True] * len(range(k_reb, n_steps, k_reb))
    banded = thresholds is not None
    for t, _, growth in stream.segments(needed, first_step):
        if last_step is not None and t > last_step:
            return out, snapshot
        if t == snapshot_at:
            snapshot = _ChunkState(t, holdings, vals, basis, vlast, price, out).copy()
        if t % 12 == 0:
            out.real_wealth_by_year[t // 12] = sum(h.sum(axis=0) for h in holdings) / price
        for k in depositing[t]:
            sync(k)
            held_blocks[k] += deposit_assets[k][t]
            vals[k] += deposit_buckets[k][t]
            basis[k] += deposit_taxable[k][t]
            vlast[k] += deposit_total[k][t]  # sync's fresh array, held by no one else
            positive[k] = True
        if withdrawing[t]:
            touched = set()
            income = (inc_real[t] * price + inc_nominal[t]
                      if inc_real[t] > 0 or inc_nominal[t] > 0 else None)
            if t in due:
                for j in order:
                    if spec.goals[j].due_step == t:
                        kk = spec.goals[j].pot
                        out.wealth_at_due_real[j] = holdings[kk].sum(axis=0) / price
            for j in order:
                amount = wd[j, t]
                if amount <= 0:
                    continue
                kk = spec.goals[j].pot
                if kk not in touched:
                    sync(kk)
                    touched.add(kk)
                need = np.full(p, amount) if nominal[j] else amount * price
                covered = 0.0
                if income is not None and takes_income[j]:
                    covered = np.minimum(need, income)
                    income = income - covered
                ask = need - covered
                reserve = spec.goals[j].reserve_real
                if reserve is not None and reserve[t] > 0:
                    free = np.maximum(vals[kk].sum(axis=0) - reserve[t] * price, 0.0)
                    ask = np.minimum(ask, free)
                paid, taxes = _withdraw(vals[kk], basis[kk], ask, spec, t)
                paid = paid + covered
                out.funded_real[j] += paid / price
                out.success[j] &= paid >= need * (1 - FUNDED_RTOL)
                out.taxes_real += taxes / price
            for kk in touched:
                v_old = vlast[kk]
                v_new = np.add.reduce(vals[kk], axis=0)
                if np.minimum.reduce(v_old) > 0:  # the quotients without the mask (usually)
                    scale = v_new / v_old
                else:
                    with np.errstate(divide="ignore", invalid="ignore"):
                        scale = np.where(v_old > 0, v_new / v_old, 0.0)
                holdings[kk] *= scale
                vlast[kk] = v_new
        for k, dst in sweeps.get(t, ()) if sweeps else ():
            sync(k)
            sync(dst)
            holdings[dst] += holdings[k]
            vals[dst] += vals[k]
            basis[dst] += basis[k]
            vlast[dst] = vlast[dst] + vlast[k]
            holdings[k][:] = 0.0
            vals[k][:] = 0.0
            basis[k][:] = 0.0
            vlast[k] = np.zeros(p)
        if calendar_at[t] or (banded and t > 0):
            _rebalance(t, calendar_at[t])
        g = growth[:n_assets, None, :]  # (n_assets, 1, paths): every block, the same markets
        for k in pot_range:
            held_blocks[k] *= g
        price_blocks *= growth[n_assets]
        if growth_acc is not None and t < growth_steps:
            # A segment never spans two years (see needed): a year's first one starts it.
            if t % 12 == 0:
                np.copyto(growth_acc[t // 12], growth)
            else:
                growth_acc[t // 12] *= growth
    total = sum(h.sum(axis=0) for h in holdings)
    out.real_wealth_by_year[-1] = total / price
    keep_tr = 1.0 - spec.tax.liquidation_rate_traditional(n_steps)
    after_tax = np.zeros(p)
    for k in range(len(spec.pots)):
        sync(k)
        gain = np.maximum(vals[k][0] - basis[k], 0.0)
        after_tax += (vals[k][0] - spec.tax.capital_gains_rate * gain + keep_tr * vals[k][1]
                      + vals[k][2])
        out.final_balance_real += vals[k]
    out.final_after_tax_real[:] = after_tax / price
    out.final_balance_real /= price
    out.final_nominal[:] = total
    out.final_price_level[:] = price
    return out, snapshot


@dataclass(frozen=True)
class Checkpoint:
    """Every path's state at the start of step ``step`` of a simulation of ``spec`` on stored
    paths (:func:`simulate_with_checkpoint`).

    A later simulation on the same stored paths whose spec agrees with ``spec`` before that
    step (same weights, cash flows, goals' withdrawals and income until then; same fees, taxes
    and rebalancing) resumes from it instead of simulating those steps again — the same
    numbers as a whole run, bit for bit. The lever search uses it: a goal's amount changes
    nothing before the goal falls due.
    """

    spec: SimulationSpec
    model: ReturnModel
    n_paths: int
    seed: int
    chunk_size: int
    step: int
    states: tuple[_ChunkState, ...]

    def resumes(self, spec: SimulationSpec, model: ReturnModel, n_paths: int, seed: int,
                chunk_size: int) -> bool:
        """Whether a simulation of ``spec`` with these arguments can resume from here."""
        return (model is self.model and n_paths == self.n_paths and seed == self.seed
                and chunk_size == self.chunk_size and _needed_at(spec, self.step)
                and _agree_before(self.spec, spec, self.step))


def _same(a: FloatArray | None, b: FloatArray | None, stop: int | None = None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    a, b = np.asarray(a), np.asarray(b)
    if stop is not None:
        a, b = a[:stop], b[:stop]
    return a.shape == b.shape and bool(np.array_equal(a, b))


def _agree_before(a: SimulationSpec, b: SimulationSpec, step: int) -> bool:
    """Whether ``a`` and ``b`` simulate the same steps before ``step`` (everything the engine
    reads before it, and every setting it applies throughout)."""
    if (a.tickers != b.tickers or a.n_steps != b.n_steps or len(a.pots) != len(b.pots)
            or len(a.goals) != len(b.goals) or a.advisory_fee_bps != b.advisory_fee_bps
            or a.rebalance_every_months != b.rebalance_every_months or a.tax != b.tax
            or a.transition_tax != b.transition_tax or a.rebalance_band is not None
            or b.rebalance_band is not None or not _same(a.expense_ratio, b.expense_ratio)):
        return False
    for k, (pa, pb) in enumerate(zip(a.pots, b.pots, strict=True)):
        if not (_same(a.weights_path(k), b.weights_path(k), step)
                and _same(pa.initial_balance, pb.initial_balance)
                and pa.taxable_basis == pb.taxable_basis
                and _same(pa.monthly_contribution, pb.monthly_contribution, step)
                and _same(pa.contribution_split, pb.contribution_split)
                and pa.sweep_to == pb.sweep_to and pa.sweep_step == pb.sweep_step):
            return False
    for ga, gb in zip(a.goals, b.goals, strict=True):
        due_a, due_b = ga.due_step, gb.due_step
        if not (ga.pot == gb.pot and ga.priority_rank == gb.priority_rank
                and ga.kind == gb.kind and ga.nominal == gb.nominal
                and (due_a == due_b or min(due_a, due_b) >= step)
                and _same(ga.real_withdrawal, gb.real_withdrawal, step)
                and ((ga.reserve_real is None) == (gb.reserve_real is None))
                and (ga.reserve_real is None or _same(ga.reserve_real, gb.reserve_real, step))):
            return False
    zeros = np.zeros(a.n_steps)
    return all(_same(x if x is not None else zeros, y if y is not None else zeros, step)
               for x, y in ((a.income_real, b.income_real),
                            (a.income_nominal, b.income_nominal)))


def divergence_step(a: SimulationSpec, b: SimulationSpec) -> int:
    """The latest step at which a simulation of ``b`` can resume from a checkpoint of ``a``
    on the same stored paths: ``a`` and ``b`` agree before it (:meth:`Checkpoint.resumes`)
    and ``b`` stops at it; 0 when there is none (they differ from the first month on).

    Agreement before a step holds before every earlier step, so the step is found by
    bisection over the horizon (a dozen comparisons of the specs' schedules)."""
    if a.n_steps != b.n_steps or not _agree_before(a, b, 1):
        return 0
    lo, hi = 1, b.n_steps - 1  # agree before lo; the answer is at most the last step
    if _agree_before(a, b, hi):
        lo = hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _agree_before(a, b, mid):
            lo = mid
        else:
            hi = mid
    while lo > 0 and not _needed_at(b, lo):
        lo -= 1
    return lo


def _needed_at(spec: SimulationSpec, step: int) -> bool:
    """Whether :func:`_run_chunk` stops at the start of ``step`` for ``spec`` (the same rule:
    a year's start, a contribution, a withdrawal, a sweep, a rebalancing date)."""
    k_reb = spec.rebalance_every_months
    return bool(step % 12 == 0 or (k_reb and step % k_reb == 0)
                or spec.rebalance_band is not None
                or any(pot.monthly_contribution[step] > 0 for pot in spec.pots)
                or any(g.real_withdrawal[step] > 0 for g in spec.goals)
                or any(pot.sweep_to is not None and pot.sweep_step == step
                       for pot in spec.pots))


def simulate(spec: SimulationSpec, model: ReturnModel, n_paths: int = 10_000, seed: int = 0,
             *, chunk_size: int = DEFAULT_CHUNK_SIZE,
             resume: Checkpoint | None = None) -> SimulationResult:
    """Simulate ``spec`` under ``model``.

    Parameters
    ----------
    spec : SimulationSpec
    model : ReturnModel
        Its tickers must equal ``spec.tickers``. Historical windows fix the number of paths
        (one per window) and ignore ``n_paths``.
    n_paths : int
    seed : int
        Seed of the common random numbers (:mod:`tailorfolio.simulate._core`): every block of
        ``STREAM_PATHS`` paths has its own stream spawned from ``SeedSequence(seed)``.
    chunk_size : int
        Paths per chunk: bounds memory; the results do not depend on it.
    resume : Checkpoint, optional
        Start from this state when it fits (:meth:`Checkpoint.resumes`), else from step 0:
        the result is the same either way.

    Returns
    -------
    SimulationResult

    Raises
    ------
    ParameterError
        Mismatched tickers or a non-positive number of paths.
    """
    if resume is not None and not resume.resumes(spec, model, n_paths, seed, chunk_size):
        resume = None
    return _simulate(spec, model, n_paths, seed, 0, chunk_size, resume, None)[0]


MAX_SIDE_BY_SIDE_PATHS = 20_000
"""Paths simulated side by side at most by :func:`simulate_many` (specs × paths each)."""


def _weights_only_differ(a: SimulationSpec, b: SimulationSpec) -> bool:
    """Whether ``a`` and ``b`` differ in their pots' target weights alone (everything else the
    engine reads agrees, and neither has a rebalancing band)."""
    if len(a.pots) != len(b.pots):
        return False
    b_as_a = dataclasses.replace(b, pots=tuple(
        dataclasses.replace(pb, weights=pa.weights) for pa, pb in zip(a.pots, b.pots)))
    return _agree_before(a, b_as_a, a.n_steps)


def simulate_many(specs: Sequence[SimulationSpec], model: ReturnModel, n_paths: int = 10_000,
                  seed: int = 0, *, chunk_size: int = DEFAULT_CHUNK_SIZE
                  ) -> list[SimulationResult]:
    """:func:`simulate` of each of ``specs``: the same results, bit for bit.

    Specs that differ only in their pots' target weights (the sleeves stage's candidate
    policies: the same goals, cash flows and taxes) on stored paths (a
    :class:`~tailorfolio.simulate.ReplayModel`) run side by side, each on its own block of one
    wider array of paths that all see the stored markets: every path's arithmetic is the
    one it has alone (element-wise operations, sums over assets in the same order), but the
    engine's per-month work is done once for all of them instead of once per spec. Other
    specs run one by one.
    """
    out: list[SimulationResult | None] = [None] * len(specs)
    fixed = model.fixed_n_paths(max((sp.n_steps for sp in specs), default=1))
    stored = getattr(model, "monthly_growth", None) is not None
    groups: list[list[int]] = []
    if stored and fixed is not None and fixed <= chunk_size:
        for i, sp in enumerate(specs):
            for g in groups:
                if (len(g) * fixed < MAX_SIDE_BY_SIDE_PATHS and sp.rebalance_band is None
                        and _weights_only_differ(specs[g[0]], sp)):
                    g.append(i)
                    break
            else:
                groups.append([i])
    else:
        groups = [[i] for i in range(len(specs))]
    for g in groups:
        if len(g) == 1 or fixed is None:
            for i in g:
                out[i] = simulate(specs[i], model, n_paths, seed, chunk_size=chunk_size)
            continue
        for i, res in zip(g, _side_by_side([specs[i] for i in g], model, fixed, seed)):
            out[i] = res
    return [r for r in out if r is not None]


def _side_by_side(specs: list[SimulationSpec], model: ReturnModel, n_paths: int, seed: int
                  ) -> list[SimulationResult]:
    """:func:`simulate_many`'s run of specs that differ in their weights alone."""
    spec = specs[0]
    if tuple(model.tickers) != tuple(spec.tickers):
        return [simulate(sp, model, n_paths, seed) for sp in specs]
    log_fee = np.log(spec.monthly_fee_factor())
    weights = [np.stack([np.ascontiguousarray(sp.weights_path(k)) for sp in specs])
               for k in range(len(spec.pots))]
    with single_threaded_blas():
        stream = GrowthStream(model, spec.n_steps, seed, 0, n_paths, n_paths, log_fee)
        both, _ = _run_chunk(spec, stream, side_by_side=weights)
    results = []
    for s, sp in enumerate(specs):
        cols = slice(s * n_paths, (s + 1) * n_paths)
        part = _ChunkOut(*(None if x is None else np.ascontiguousarray(x[..., cols])
                           for x in (getattr(both, f.name) for f in fields(_ChunkOut))))
        results.append(_result(sp, model, seed, n_paths, [part]))
    return results


def simulate_with_checkpoint(spec: SimulationSpec, model: ReturnModel, n_paths: int,
                             seed: int, step: int, *, chunk_size: int = DEFAULT_CHUNK_SIZE
                             ) -> tuple[SimulationResult, Checkpoint]:
    """:func:`simulate` on stored paths (a model that fixes its paths and stores their
    growth, :class:`~tailorfolio.simulate.ReplayModel`), and every path's state at the start
    of ``step`` (0 <= step < spec.n_steps, a step the spec stops at), for later simulations
    to resume from (``simulate(..., resume=checkpoint)``)."""
    _check_checkpoint(spec, model, step)
    result, _, states = _simulate(spec, model, n_paths, seed, 0, chunk_size, None, step)
    return result, Checkpoint(spec, model, result.n_paths, seed, chunk_size, step, states)


def simulate_with_growth(spec: SimulationSpec, model: ReturnModel, n_paths: int, seed: int,
                         growth_years: int, *, chunk_size: int = DEFAULT_CHUNK_SIZE
                         ) -> tuple[SimulationResult, FloatArray]:
    """:func:`simulate`, and the growth factors its paths drew for the first ``growth_years``
    years: whoever needs the same markets (same model, seed and number of paths; the spec's
    fees) under another portfolio — the withdrawal-rate analysis of the plan's Monte Carlo —
    reads them instead of drawing them again.

    Returns
    -------
    result : SimulationResult
    growth_by_year : ndarray (growth_years, n_assets + 1, n_paths)
        Entry ``[y, i, path]``: the factor by which asset ``i`` (net of the spec's fees; the
        last ``i``: the price level) grew over year ``y`` — the product of its monthly factors.
    """
    if not 0 <= growth_years <= spec.n_years:
        raise ParameterError(f"growth_years must be within the horizon (0 to {spec.n_years}); "
                             f"got {growth_years}.", field="growth_years", value=growth_years)
    result, growth, _ = _simulate(spec, model, n_paths, seed, growth_years, chunk_size, None,
                                  None)
    return result, growth


def success_probability(spec: SimulationSpec, model: ReturnModel, n_paths: int, seed: int,
                        goal: int, *, chunk_size: int = DEFAULT_CHUNK_SIZE,
                        resume: Checkpoint | None = None, checkpoint_at: int | None = None
                        ) -> tuple[float, Checkpoint | None]:
    """``simulate(...).success_probability(goal)[0]`` (the same number), simulating only
    until goal ``goal``'s last withdrawal: nothing later changes whether it was met. For
    searches that read one goal's probability (the what-would-raise levers).

    ``resume`` as for :func:`simulate`; ``checkpoint_at``: also the state at that step, as
    :func:`simulate_with_checkpoint` returns it (its conditions apply).

    Returns
    -------
    (probability, the checkpoint or None)
    """
    if resume is not None and not resume.resumes(spec, model, n_paths, seed, chunk_size):
        resume = None
    paying = np.flatnonzero(spec.goals[goal].real_withdrawal > 0)
    last = int(paying[-1]) if len(paying) else spec.n_steps - 1
    if checkpoint_at is not None:
        _check_checkpoint(spec, model, checkpoint_at)
        last = max(last, checkpoint_at)
    n_paths, runs = _chunk_runs(spec, model, n_paths, seed, 0, chunk_size, resume,
                                checkpoint_at, last)
    met = np.concatenate([o.success for o, _ in runs], axis=1)[goal]
    checkpoint = None
    if checkpoint_at is not None:
        checkpoint = Checkpoint(spec, model, n_paths, seed, chunk_size, checkpoint_at,
                                tuple(st for _, st in runs if st is not None))
    return float(met.mean()), checkpoint


def _check_checkpoint(spec: SimulationSpec, model: ReturnModel, step: int) -> None:
    """Raise unless a simulation of ``spec`` on ``model`` can keep its state at ``step``: on
    stored paths only, at a step the simulation stops at."""
    if getattr(model, "monthly_growth", None) is None:
        raise ParameterError("Only simulations on stored paths can be resumed.",
                             field="model", value=getattr(model, "name", None),
                             fix="freeze the model (tailorfolio.simulate.freeze)")
    if not (0 <= step < spec.n_steps and _needed_at(spec, step)):
        raise ParameterError(f"The checkpoint step {step} must be a step the simulation stops "
                             "at (a year's start, a cash flow or a rebalancing date).",
                             field="step", value=step)


def _chunk_runs(spec: SimulationSpec, model: ReturnModel, n_paths: int, seed: int,
                growth_years: int, chunk_size: int, resume: Checkpoint | None,
                snapshot_at: int | None, last_step: int | None = None
                ) -> tuple[int, list[tuple[_ChunkOut, _ChunkState | None]]]:
    """Every chunk of a run of ``spec`` on ``model`` (:func:`_run_chunk`'s arguments), and the
    run's number of paths (the model's own when it fixes them)."""
    if tuple(model.tickers) != tuple(spec.tickers):
        raise ParameterError(
            f"The return model covers {list(model.tickers)} but the simulation holds "
            f"{list(spec.tickers)}.", field="model.tickers",
            fix="build the model from the same universe, in the same order")
    fixed = model.fixed_n_paths(spec.n_steps)
    n_paths = fixed if fixed is not None else n_paths
    log_fee = np.log(spec.monthly_fee_factor())
    with single_threaded_blas():
        runs = [_run_chunk(spec, GrowthStream(model, spec.n_steps, seed, a, p, n_paths,
                                              log_fee), growth_years,
                           resume=None if resume is None else resume.states[i],
                           snapshot_at=snapshot_at, last_step=last_step)
                for i, (a, p) in enumerate(path_chunks(n_paths, chunk_size))]
    return n_paths, runs


def _simulate(spec: SimulationSpec, model: ReturnModel, n_paths: int, seed: int,
              growth_years: int, chunk_size: int, resume: Checkpoint | None,
              snapshot_at: int | None
              ) -> tuple[SimulationResult, FloatArray, tuple[_ChunkState, ...]]:
    n_paths, runs = _chunk_runs(spec, model, n_paths, seed, growth_years, chunk_size, resume,
                                snapshot_at)
    parts = [o for o, _ in runs]

    def cat(name: str, axis: int) -> np.ndarray:
        if len(parts) == 1:  # one chunk: its array, not a copy
            return getattr(parts[0], name)
        return np.concatenate([getattr(o, name) for o in parts], axis=axis)

    result = _result(spec, model, seed, n_paths, parts)
    growth = (cat("growth_by_year", 2) if growth_years
              else np.ones((0, len(spec.tickers) + 1, n_paths)))
    states = tuple(st for _, st in runs if st is not None)
    return result, growth, states


def _result(spec: SimulationSpec, model: ReturnModel, seed: int, n_paths: int,
            parts: list[_ChunkOut]) -> SimulationResult:
    """The simulation's result from its chunks' outputs, in path order."""

    def cat(name: str, axis: int) -> np.ndarray:
        return np.concatenate([getattr(o, name) for o in parts], axis=axis)

    return SimulationResult(
        spec=spec, model_name=model.name, seed=seed, n_paths=n_paths,
        real_wealth_by_year=cat("real_wealth_by_year", 1),
        goal_funded_real=cat("funded_real", 1),
        goal_success=cat("success", 1),
        goal_wealth_at_due_real=cat("wealth_at_due_real", 1),
        taxes_paid_real=cat("taxes_real", 0),
        final_nominal_wealth=cat("final_nominal", 0),
        final_price_level=cat("final_price_level", 0),
        gains_taxes_real=cat("gains_taxes_real", 0),
        turnover=cat("turnover", 0),
        rebalance_count=cat("rebalances", 0),
        final_after_tax_real=cat("final_after_tax_real", 0),
        final_balance_real=cat("final_balance_real", 1),
    )
