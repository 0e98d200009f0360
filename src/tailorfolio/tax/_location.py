"""Asset location: which account holds which asset, for the most after-tax wealth.

Each dollar of asset *a* in an account of type *k* grows to an after-tax amount
``f[a, k]`` at the horizon:

* taxable — every year the distribution ``yield`` is taxed (qualified share at the long-term
  rate, the rest as ordinary income; municipal-bond interest is federally exempt, state-taxed),
  the after-tax distribution is reinvested and adds to basis; the price growth is taxed at the
  long-term rate when sold at the horizon;
* traditional — grows untaxed, withdrawn as ordinary income at the horizon (the current
  ordinary + state rate unless ``retirement_rates`` says otherwise); a pre-tax dollar is worth
  ``1 - t`` after tax, so the *placement* of fast-growing assets matters;
* Roth — grows and is withdrawn tax free.

With the household allocation (dollars per asset) and each account's balance fixed, the
placement maximizing ``Σ x[a,k] f[a,k]`` is a transportation linear program (Reichenstein's
after-tax asset allocation; the "0.1–0.8 %/yr" location estimates in
``shared/reference/planning-methods.md`` §1). A tiny L1 pull towards the current placement
breaks ties in favour of fewer trades.

The emergency reserve (``reserve_amount``) is placed first, outside the program: in the
household's cash-class assets, in taxable accounts (liquid without tax or penalty), largest
balance first. Only what the taxable balances cannot hold goes to Roth accounts (contributions
come out tax- and penalty-free), then to traditional ones, and a warning says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tailorfolio.errors import InfeasibleError, SolverError
from tailorfolio.profile._enums import AccountType
from tailorfolio.tax._tables import MarginalRates
from tailorfolio.typing import FloatArray

TAX_EXEMPT_CLASSES = frozenset({"us_municipal"})
"""Asset classes whose distributions are exempt from federal income tax (IRC §103)."""


def after_tax_growth(total_return: float, yield_: float, qualified_share: float,
                     account_type: AccountType, rates: MarginalRates, horizon_years: int, *,
                     federally_exempt: bool = False,
                     retirement_rates: MarginalRates | None = None) -> float:
    """After-tax value at the horizon of one dollar placed today (see module docstring).

    Parameters
    ----------
    total_return : float
        Expected annual (geometric) total return, decimal.
    yield_ : float
        Annual distribution yield, decimal (part of ``total_return``).
    qualified_share : float
        Share of distributions taxed as qualified dividends.
    account_type : AccountType
    rates : MarginalRates
    horizon_years : int
    federally_exempt : bool
        Municipal interest: only the state rate applies to distributions.
    retirement_rates : MarginalRates, optional
        Rates at withdrawal for traditional accounts (default ``rates``).
    """
    g = total_return
    if account_type is AccountType.ROTH:
        return (1 + g) ** horizon_years
    if account_type is AccountType.TRADITIONAL:
        r = retirement_rates or rates
        return (1 + g) ** horizon_years * (1 - r.ordinary - r.state)
    div_rate = rates.state if federally_exempt else rates.dividend_rate(qualified_share)
    price_growth = g - yield_
    value, basis = 1.0, 1.0
    for _ in range(horizon_years):
        dist = value * yield_ * (1 - div_rate)
        value = value * (1 + price_growth) + dist
        basis += dist
    return value - rates.long_term_total * (value - basis)


@dataclass(frozen=True)
class LocationResult:
    """An asset placement and its after-tax value.

    Attributes
    ----------
    amounts : pandas.DataFrame
        Dollars of each asset (rows) in each account (columns).
    pro_rata : pandas.DataFrame
        The same allocation placed pro rata (every account holds the household mix).
    factors : pandas.DataFrame
        After-tax growth of one dollar, assets × accounts.
    after_tax_value, pro_rata_value : float
        After-tax wealth at the horizon, dollars.
    horizon_years : int
    annual_benefit : float
        ``(after_tax_value / pro_rata_value) ** (1 / horizon) - 1``, decimal per year.
    reserve_placed : dict of str to float
        Dollars of the emergency reserve placed in each account (cash-class assets).
    warnings : tuple of str
    """

    amounts: pd.DataFrame
    pro_rata: pd.DataFrame
    factors: pd.DataFrame
    after_tax_value: float
    pro_rata_value: float
    horizon_years: int
    annual_benefit: float
    reserve_placed: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def account_weights(self, account: str) -> pd.Series:
        """Target weights inside ``account`` (sum to 1 when it has a balance)."""
        col = self.amounts[account]
        total = col.sum()
        return col / total if total > 0 else col


def locate_assets(target: pd.Series, accounts: dict[str, tuple[AccountType, float]],
                  growth: pd.Series, yields: pd.Series, qualified_share: pd.Series,
                  rates: MarginalRates, horizon_years: int, *,
                  exempt: frozenset[str] | set[str] = frozenset(),
                  current: pd.DataFrame | None = None,
                  retirement_rates: MarginalRates | None = None,
                  stickiness: float = 1e-6, reserve_amount: float = 0.0,
                  reserve_assets: Sequence[str] = ()) -> LocationResult:
    """Place ``target`` dollars per asset into accounts to maximize after-tax wealth.

    Parameters
    ----------
    target : pandas.Series
        Household dollars per asset (index: tickers).
    accounts : dict of str to (AccountType, float)
        Each account's type and balance, dollars; balances must add up to ``target.sum()``.
    growth, yields, qualified_share : pandas.Series
        Per asset: expected geometric total return, distribution yield, qualified share.
    rates : MarginalRates
    horizon_years : int
    exempt : set of str
        Tickers with federally tax-exempt distributions.
    current : pandas.DataFrame, optional
        Current dollars per asset and account (ties are broken towards it).
    retirement_rates : MarginalRates, optional
    stickiness : float
        Weight of the L1 pull to ``current`` relative to after-tax value (tie-breaking only).
    reserve_amount : float
        Emergency reserve, dollars: placed in ``reserve_assets`` of taxable accounts first
        (see the module docstring).
    reserve_assets : sequence of str
        Cash-class tickers of ``target`` that may hold the reserve.

    Raises
    ------
    InfeasibleError
        When the balances do not add up to the allocation.
    """
    tickers = list(target.index)
    names = list(accounts)
    bal = np.array([accounts[n][1] for n in names], dtype=float)
    tgt = target.to_numpy(dtype=float)
    if abs(bal.sum() - tgt.sum()) > 1e-6 * max(1.0, tgt.sum()):
        raise InfeasibleError(
            f"Account balances total {bal.sum():,.2f} but the allocation totals "
            f"{tgt.sum():,.2f}.", field="accounts", value=float(bal.sum()),
            expected=f"{tgt.sum():,.2f}", fix="value the accounts and the plan at the same prices")
    fixed, placed, notes = _place_reserve(target, accounts, reserve_amount, reserve_assets)
    tgt = tgt - fixed.sum(axis=1)
    bal = bal - fixed.sum(axis=0)
    f = np.array([[after_tax_growth(float(growth[t]), float(yields[t]),
                                    float(qualified_share[t]), accounts[n][0], rates,
                                    horizon_years, federally_exempt=t in exempt,
                                    retirement_rates=retirement_rates)
                   for n in names] for t in tickers])
    total = tgt.sum()
    scale = total if total > 0 else 1.0
    n, m = f.shape
    nm = n * m
    # Variables: x (n·m, row-major, fractions of total) then u ≥ |x − current| (tie-breaking).
    cur = (np.zeros((n, m)) if current is None else
           np.clip(current.reindex(index=tickers, columns=names).fillna(0.0).to_numpy()
                   - fixed, 0.0, None) / scale)
    c = np.concatenate([-f.ravel(), np.full(nm, stickiness if current is not None else 0.0)])
    a_eq = np.zeros((n + m, 2 * nm))
    for i in range(n):
        a_eq[i, i * m:(i + 1) * m] = 1.0
    for j in range(m):
        a_eq[n + j, j:nm:m] = 1.0
    b_eq = np.clip(np.concatenate([tgt, bal]), 0.0, None) / scale
    x = _unique_two_account_optimum(f, b_eq[:n], b_eq[n:],
                                    stickiness if current is not None else 0.0)
    if x is None:
        eye = np.eye(nm)
        a_ub = np.block([[eye, -eye], [-eye, -eye]])
        b_ub = np.concatenate([cur.ravel(), -cur.ravel()])
        from scipy.optimize import linprog  # ~0.2 s of CPU to import: only when called

        res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq,
                      bounds=[(0, None)] * (2 * nm), method="highs")
        if res.status != 0:
            raise SolverError(f"The asset-location linear program failed: {res.message}",
                              field="solver", value=res.status,
                              fix="check the inputs are finite")
        x = res.x[:nm].reshape(n, m)
    xv = np.clip(x, 0.0, None) * scale + fixed
    tgt = target.to_numpy(dtype=float)
    bal = np.array([accounts[k][1] for k in names], dtype=float)
    pro = np.outer(tgt, bal) / tgt.sum() if tgt.sum() > 0 else np.zeros_like(xv)
    opt_value = float((f * xv).sum())
    pro_value = float((f * pro).sum())
    benefit = (opt_value / pro_value) ** (1 / horizon_years) - 1 if pro_value > 0 else 0.0
    return LocationResult(pd.DataFrame(xv, index=tickers, columns=names),
                          pd.DataFrame(pro, index=tickers, columns=names),
                          pd.DataFrame(f, index=tickers, columns=names),
                          opt_value, pro_value, horizon_years, float(benefit), placed, notes)


UNIQUE_GAP = 1e-4
"""Least gap between two assets' after-tax advantages of the first account over the second
(growth multiples, :func:`_unique_two_account_optimum`) for the placement to be solved in
closed form: far above the L1 tie-breaker's effect (4 × ``stickiness``) and the LP solver's
optimality tolerance (1e-7), so the closed form is the program's unique optimum."""


def _unique_two_account_optimum(f: FloatArray, tgt: FloatArray, bal: FloatArray,
                                stickiness: float) -> FloatArray | None:
    """The placement program's optimum in closed form when it has one account, or two and a
    unique optimum; None otherwise (the linear program solves it).

    With two accounts the program is a fractional knapsack: the first account is filled with
    the assets whose advantage there, ``d = f[:, 0] − f[:, 1]``, is largest, in that order
    (Dantzig's greedy rule). When the advantages of the assets held differ by more than
    :data:`UNIQUE_GAP`, exchanging ε of one asset for another between the accounts loses more
    than ``UNIQUE_GAP · ε`` of value, above what the L1 pull towards the current placement
    (at most ``4 · stickiness · ε``) can give back: the greedy placement is the only optimum,
    the vertex the LP solver returns too (so scipy.optimize need not be imported). Ties go to
    the solver, whose tie-breaking towards the current placement the plan keeps.

    Parameters
    ----------
    f : ndarray (n_assets, n_accounts)
        After-tax growth multiples.
    tgt : ndarray (n_assets,)
        Each asset's amount, fractions of the total (non-negative).
    bal : ndarray (n_accounts,)
        Each account's balance, fractions of the total (non-negative).
    stickiness : float
        Weight of the L1 pull towards the current placement.

    Returns
    -------
    ndarray (n_assets, n_accounts) or None
    """
    n, m = f.shape
    if m == 1:
        return tgt[:, None].copy()
    if m != 2 or UNIQUE_GAP <= 4 * stickiness:
        return None
    held = np.flatnonzero(tgt > 0)
    d = f[held, 0] - f[held, 1]
    order = held[np.argsort(-d, kind="stable")]
    if len(held) > 1 and float(np.min(np.diff(np.sort(d)))) <= UNIQUE_GAP:
        return None
    x = np.zeros((n, 2))
    room = float(bal[0])
    for i in order.tolist():
        put = min(float(tgt[i]), room)
        x[i, 0] = put
        x[i, 1] = float(tgt[i]) - put
        room -= put
    return x


def _place_reserve(target: pd.Series, accounts: dict[str, tuple[AccountType, float]],
                   reserve_amount: float, reserve_assets: Sequence[str]
                   ) -> tuple[np.ndarray, dict[str, float], tuple[str, ...]]:
    """The reserve's fixed placement (assets × accounts dollars), per account, and warnings."""
    tickers = list(target.index)
    names = list(accounts)
    fixed = np.zeros((len(tickers), len(names)))
    if reserve_amount <= 0:
        return fixed, {}, ()
    notes: list[str] = []
    cash_rows = [i for i, t in enumerate(tickers) if t in set(reserve_assets) and target[t] > 0]
    available = float(sum(target.iloc[i] for i in cash_rows))
    amount = reserve_amount
    if available < reserve_amount - 0.5:
        notes.append(f"The emergency reserve is {reserve_amount:,.0f} but the allocation holds "
                     f"only {available:,.0f} in cash-class assets; {available:,.0f} is placed "
                     "as the reserve.")
        amount = available
    rank = {AccountType.TAXABLE: 0, AccountType.ROTH: 1, AccountType.TRADITIONAL: 2}
    order = sorted(range(len(names)), key=lambda j: (rank[accounts[names[j]][0]],
                                                      -accounts[names[j]][1]))
    left_per_asset = np.array([target.iloc[i] for i in cash_rows], dtype=float)
    left_per_asset *= amount / left_per_asset.sum() if left_per_asset.sum() > 0 else 0.0
    room = np.array([accounts[n][1] for n in names], dtype=float)
    placed: dict[str, float] = {}
    for j in order:
        for r, i in enumerate(cash_rows):
            put = min(left_per_asset[r], room[j])
            if put <= 0:
                continue
            fixed[i, j] += put
            room[j] -= put
            left_per_asset[r] -= put
            placed[names[j]] = placed.get(names[j], 0.0) + put
    in_taxable = sum(v for k, v in placed.items() if accounts[k][0] is AccountType.TAXABLE)
    if in_taxable < amount - 0.5:
        elsewhere = ", ".join(f"{v:,.0f} in {k!r}" for k, v in placed.items()
                              if accounts[k][0] is not AccountType.TAXABLE)
        notes.append(
            f"Only {in_taxable:,.0f} of the {amount:,.0f} emergency reserve fits in taxable "
            f"accounts; the rest is held in cash-class assets of {elsewhere or 'no account'} "
            "(Roth contributions can be withdrawn tax- and penalty-free; earnings and "
            "traditional-account withdrawals may be taxed and penalised before age 59½). "
            "Building the reserve in a taxable account keeps it liquid.")
    return fixed, placed, tuple(notes)
