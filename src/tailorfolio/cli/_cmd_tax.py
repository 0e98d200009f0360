"""Tax commands: ledger, harvest, rebalance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from tailorfolio.cli._errors import guarded
from tailorfolio.cli._options import (
    AsOfOpt,
    MarketOpt,
    UniverseOpt,
    market_from_options,
    money,
    parse_date,
    percent,
)



def _console() -> Console:
    """A console made at call time (so COLUMNS and redirections apply); at least 120 wide
    because Form 8949 rows have ten columns."""
    c = Console()
    return c if c.width >= 120 else Console(width=120)


def register(app: typer.Typer) -> None:
    """Add the tax commands to ``app``."""

    @app.command("ledger")
    @guarded
    def ledger_cmd(
        transactions: Annotated[Path, typer.Argument(help="Transactions CSV (date, account, "
                                                     "account_type, action, asset, quantity, "
                                                     "price[, method, lot_ids, lot_id]).")],
        show_lots: Annotated[bool, typer.Option("--lots/--no-lots",
                                                help="Also list the open lots.")] = True,
        ordinary: Annotated[float, typer.Option(help="Marginal ordinary rate, % (for the "
                                                "yearly tax estimate).")] = 24.0,
        long_term: Annotated[float, typer.Option(help="Long-term gains rate, %.")] = 15.0,
        state: Annotated[float, typer.Option(help="Flat state rate, %.")] = 0.0,
        loss_limit: Annotated[float, typer.Option(help="Net loss deductible per year "
                                                  "(1,500 if married filing separately).")]
        = 3_000.0,
    ) -> None:
        """Replay a transaction history; print realized gains as Form 8949 rows."""
        # Rates in % within the ranges the profile's tax_rates accept (TaxRates).
        percent(ordinary, "--ordinary", 60.0)
        percent(long_term, "--long-term", 40.0)
        percent(state, "--state", 20.0)
        money(loss_limit, "--loss-limit")
        console = _console()
        from tailorfolio.io import read_table
        from tailorfolio.cli._render_tax import form_8949_table, lots_table
        from tailorfolio.tax import Ledger, transactions_from_frame

        txs, accounts = transactions_from_frame(read_table(transactions))
        led = Ledger(accounts).apply(txs)
        rows = led.form_8949()
        short = [r for r in rows if not r.long_term]
        long_ = [r for r in rows if r.long_term]
        console.print(form_8949_table(short, "Form 8949 Part I — short-term"))
        console.print(form_8949_table(long_, "Form 8949 Part II — long-term"))
        perm = sum(r.permanently_disallowed for r in rows)
        console.print(
            f"Net short-term {sum(r.gain for r in short):,.2f} · net long-term "
            f"{sum(r.gain for r in long_):,.2f} · wash-sale adjustments "
            f"{sum(r.wash_sale_disallowed for r in rows):,.2f} (of which {perm:,.2f} "
            "permanently lost to IRA/Roth repurchases, Rev. Rul. 2008-5)")
        from rich.table import Table

        from tailorfolio.tax import MarginalRates
        from tailorfolio.tax._netting import yearly_summary

        rates = MarginalRates(ordinary / 100, long_term / 100, 0.0, state / 100, loss_limit)
        t = Table(title="Schedule D by year (losses carried forward)", title_justify="left")
        for col in ("year", "net short-term", "net long-term", "taxed ST", "taxed LT",
                    "loss deducted", "carry ST", "carry LT", "estimated tax"):
            t.add_column(col, justify="right")
        for y in yearly_summary(rows, rates):
            n = y.netted
            t.add_row(str(y.year), f"{y.short_term:,.2f}", f"{y.long_term:,.2f}",
                      f"{n.short_term_taxable:,.2f}", f"{n.long_term_taxable:,.2f}",
                      f"{n.ordinary_deduction:,.2f}", f"{n.carryforward_short:,.2f}",
                      f"{n.carryforward_long:,.2f}", f"{n.tax:,.2f}")
        console.print(t)
        if show_lots:
            console.print(lots_table(led.lots()))

    @app.command("harvest")
    @guarded
    def harvest_cmd(
        profile: Annotated[Path, typer.Argument(help="Investor profile (YAML or JSON).")],
        as_of: AsOfOpt = None,
        market: MarketOpt = None,
        universe: UniverseOpt = None,
        min_loss: Annotated[float, typer.Option(help="Smallest loss per lot, dollars.")] = 500.0,
        min_loss_pct: Annotated[float, typer.Option(help="Smallest loss, % of basis.")] = 5.0,
        min_benefit: Annotated[float, typer.Option(help="Smallest net benefit, dollars.")] =
        100.0,
    ) -> None:
        """Tax-loss-harvesting opportunities, substitutes and wash-sale conflicts."""
        money(min_loss, "--min-loss")
        percent(min_loss_pct, "--min-loss-pct")
        money(min_benefit, "--min-benefit")
        day = parse_date(as_of)
        console = _console()
        from datetime import date

        from tailorfolio._boundary import check_plan_inputs
        from tailorfolio.cli._render_tax import harvest_table
        from tailorfolio.io import load_profile
        from tailorfolio.tax import Ledger, marginal_rates, substitute_table
        from tailorfolio.tax._harvest import HarvestPolicy, find_harvests

        prof = load_profile(profile)
        mkt = market_from_options(market, universe)
        prof, mkt, _, day = check_plan_inputs(prof, mkt, None, day)
        on = day or prof.as_of or date.today()
        rates = marginal_rates(prof, on.year)
        led = Ledger.from_profile(prof, substitutes=substitute_table(mkt.universe),
                                  rates=rates)
        prices = {t: mkt.price_of(t) for t in prof.held_assets}
        policy = HarvestPolicy(min_loss=min_loss, min_loss_fraction=min_loss_pct / 100,
                               min_net_benefit=min_benefit)
        opps = find_harvests(led, prices, on, rates, policy, contributing_accounts={
            a.name: a.annual_contribution for a in prof.accounts if a.annual_contribution})
        if not opps:
            console.print(f"No lot has a loss above the thresholds on {on}.")
            return
        console.print(harvest_table(opps))
        good = [h for h in opps if h.actionable]
        console.print(f"{len(good)} harvest(s) on {on}: losses {sum(h.loss for h in good):,.2f},"
                      f" estimated benefit {sum(h.net_benefit for h in good):,.2f} after costs "
                      f"(rates: ST {rates.short_term_total:.1%}, LT {rates.long_term_total:.1%};"
                      " a deferral, since the substitute's basis is lower).")

    @app.command("rebalance")
    @guarded
    def rebalance_cmd(
        profile: Annotated[Path, typer.Argument(help="Investor profile (YAML or JSON).")],
        max_tax: Annotated[Optional[float], typer.Option(help="Cap on the tax the trades may "
                                                         "cost, dollars.")] = None,
        max_drift: Annotated[Optional[float], typer.Option(help="Cap on any asset's drift "
                                                           "from target after trading, %.")] =
        None,
        cash_flow_first: Annotated[bool, typer.Option(
            "--cash-flow-first/--allow-sales",
            help="Use cash and deposits first; sell only if drift stays above the band.")] =
        True,
        whole_shares: Annotated[bool, typer.Option(help="Trade whole shares only.")] = False,
        market: MarketOpt = None,
        universe: UniverseOpt = None,
        as_of: AsOfOpt = None,
    ) -> None:
        """Tax-aware rebalance of the household's accounts toward the plan."""
        money(max_tax, "--max-tax")
        percent(max_drift, "--max-drift")
        day = parse_date(as_of)
        console = _console()
        from dataclasses import replace
        from datetime import date

        from tailorfolio._boundary import check_plan_inputs
        from tailorfolio.cli._render_tax import account_plan_panel
        from tailorfolio.io import load_profile
        from tailorfolio.planning._build import build_plan
        from tailorfolio.planning._sections import AccountsSection
        from tailorfolio.tax._plan_stage import plan_accounts
        from tailorfolio.tax._rebalance import RebalanceSettings

        prof = load_profile(profile)
        mkt = market_from_options(market, universe)
        prof, mkt, _, day = check_plan_inputs(prof, mkt, None, day)
        on = day or prof.as_of or date.today()
        plan = build_plan(prof, mkt, as_of=on)
        settings = RebalanceSettings(max_tax=max_tax,
                                     max_drift=None if max_drift is None else max_drift / 100,
                                     cash_flow_first=cash_flow_first, whole_shares=whole_shares)
        plans, summary, _ = plan_accounts(prof, mkt, plan.weights, on, settings=settings)
        view = replace(plan, accounts=AccountsSection(plans, summary))
        console.print(account_plan_panel(view))
