"""Measured tax benefits on real data: loss harvesting (backtest) and asset location.

Run: PYTHONPATH=src python benchmarks/tax_benefits.py
Data: skfolio's bundled S&P 500 dataset (20 stocks, 1990–2022, adjusted) and the test/benchmark
file /work/shared/data/etf_asset_class_adjclose_daily_2020_2025.csv (never shipped).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd

from tailorfolio.examples import load_example_profile
from tailorfolio.market import default_market
from tailorfolio.planning._build import build_plan
from tailorfolio.profile._enums import AccountType
from tailorfolio.tax import MarginalRates
from tailorfolio.tax._backtest import harvest_backtest
from tailorfolio.tax._location import after_tax_growth
from tailorfolio.tax._plan_stage import plan_accounts

RATES = MarginalRates(0.24, 0.15, 0.0, 0.06)  # the bundled family's rates
ETF = Path(os.environ.get("TAILORFOLIO_ETF_FILE",
                          "/work/shared/data/etf_asset_class_adjclose_daily_2020_2025.csv"))


def row(name, prices, sleeves):
    """One table row: the strategy with savings reinvested, and without (to split the
    after-tax difference into the substitutes' own return and the tax effect)."""
    r = harvest_backtest(prices, sleeves, RATES)
    q = harvest_backtest(prices, sleeves, RATES, reinvest_savings=False)
    substitution = (q.pre_tax_value_harvest / q.pre_tax_value_hold) ** (1 / q.years) - 1
    tax_effect = (r.after_tax_value_harvest / q.after_tax_value_harvest) ** (1 / r.years) - 1
    print(f"| {name} | {r.years:.1f} | {r.n_harvests} | {r.annual_harvest_pct:.2%} | "
          f"{r.wash_disallowed:,.0f} | {r.after_tax_value_hold:,.0f} | "
          f"{r.after_tax_value_harvest:,.0f} | {r.annual_after_tax_gain:+.2%} | "
          f"{substitution:+.2%} | {tax_effect:+.2%} |")


def main() -> int:
    print("## Loss harvesting vs buy-and-hold (100,000 + 1,000/month, one taxable account)\n")
    print("| data | years | harvests | harvested losses / yr / avg value | wash-disallowed | "
          "after-tax hold | after-tax harvest | after-tax gain / yr | of which substitutes' "
          "own return / yr | of which reinvested tax savings / yr |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    from skfolio.datasets import load_sp500_dataset

    sp = load_sp500_dataset()
    pairs = [["KO", "PEP"], ["XOM", "CVX"], ["JPM", "BAC"], ["JNJ", "PFE", "MRK"],
             ["MSFT", "AAPL"], ["HD", "BBY"], ["UNH", "LLY"], ["WMT", "PG"], ["GE"], ["AMD"],
             ["RRC"]]
    sleeves = [(float(len(p)), p) for p in pairs]
    for start in ("1990-01-01", "2000-01-01", "2007-06-01"):
        row(f"S&P 500 20 stocks from {start[:7]} (sector-peer substitutes)", sp.loc[start:],
            sleeves)
    if ETF.exists():
        etf = pd.read_csv(ETF, parse_dates=["date"]).set_index("date")
        sl = [(0.35, ["VTI"]), (0.15, ["VEA", "IEFA"]), (0.10, ["VWO", "IEMG"]),
              (0.05, ["VNQ"]), (0.35, ["BND"])]
        row("ETFs 2020-09..2025 (VEA↔IEFA, VWO↔IEMG harvestable)", etf, sl)
        sl2 = [(0.15, ["VEA", "IEFA"]), (0.10, ["VWO", "IEMG"])]
        row("ETFs 2020-09..2025, harvestable sleeves only", etf, sl2)

        print("\n## Asset location, bundled family: ex-ante placement evaluated on realized "
              "2020-09..2025 returns\n")
        fam = load_example_profile("family")
        mkt = default_market()
        plan = build_plan(fam, mkt)
        _, summary, loc = plan_accounts(fam, mkt, plan.weights, fam.as_of)
        proxy = {"VB": "VBR", "VEA": "VEA", "PDBC": "DBC", "BNDX": "BND", "VWOB": "EMB",
                 "SGOV": "BIL", "VTI": "VTI", "BND": "BND", "VWO": "VWO", "VNQ": "VNQ"}
        years = (etf.index[-1] - etf.index[0]).days / 365.25
        uni = mkt.universe
        types = {a.name: a.type for a in fam.accounts}
        opt = pro = 0.0
        for t in loc.amounts.index:
            s = etf[proxy[t]].dropna()
            g = (s.iloc[-1] / s.iloc[0]) ** (1 / years) - 1
            for acc in loc.amounts.columns:
                f = after_tax_growth(g, uni[t].yield_, uni[t].qualified_dividend_share,
                                     types[acc], RATES, round(years))
                opt += loc.amounts.loc[t, acc] * f
                pro += loc.pro_rata.loc[t, acc] * f
        print(f"ex-ante (CMA, {summary.horizon_years} y): "
              f"+{summary.location_annual_benefit:.2%}/yr vs pro-rata")
        print(f"realized ({years:.1f} y, proxies {proxy}): after-tax {opt:,.0f} vs pro-rata "
              f"{pro:,.0f}: {(opt / pro) ** (1 / round(years)) - 1:+.2%}/yr")
    else:
        print(f"(ETF file {ETF} not found: ETF rows skipped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
