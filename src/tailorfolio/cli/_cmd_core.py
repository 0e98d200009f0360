"""Core commands: profile-template, plan, frontier, demo."""

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
    parse_date,
    whole,
)
from tailorfolio.limits import MAX_FRONTIER_POINTS
from tailorfolio.market._return_model import ReturnModel

# The commands import what they compute with when they run, so ``tailorfolio --help`` does
# not load the numeric stack (tests/cli/test_startup.py).

console = Console()


def register(app: typer.Typer) -> None:
    """Add the core commands to ``app``."""

    @app.command("profile-template")
    @guarded
    def profile_template_cmd() -> None:
        """Print a commented example profile to edit (tailorfolio profile-template > me.yaml)."""
        from tailorfolio.cli._template import profile_template

        typer.echo(profile_template(), nl=False)

    @app.command("plan")
    @guarded
    def plan_cmd(
        profile: Annotated[Path, typer.Argument(help="Investor profile (YAML or JSON).")],
        market: MarketOpt = None,
        universe: UniverseOpt = None,
        json_out: Annotated[Optional[Path], typer.Option("--json", help="Write the whole plan "
                                                         "as JSON to this file.")] = None,
        returns: Annotated[ReturnModel, typer.Option(
            help="Where expected returns come from: market equilibrium with the forecasts as "
                 "views (default), equilibrium alone, or the raw forecasts.")] =
        ReturnModel.EQUILIBRIUM_VIEWS,
        as_of: AsOfOpt = None,
        html_out: Annotated[Optional[Path], typer.Option("--html", help="Write a self-contained "
                                                         "HTML report (charts; opens offline) to "
                                                         "this file.")] = None,
        pdf_out: Annotated[Optional[Path], typer.Option("--pdf", help="Print the report to "
                                                        "this PDF file (needs the pdf extra "
                                                        "and Chromium).")] = None,
        ips_out: Annotated[Optional[Path], typer.Option("--ips", help="Print the investment-"
                                                        "policy summary, to sign, to this PDF "
                                                        "file.")] = None,
    ) -> None:
        """Risk level, goal sleeves, household target, trades and taxes, goal odds, reasons."""
        from tailorfolio._boundary import check_plan_inputs
        from tailorfolio.cli._render import print_plan
        from tailorfolio.io import load_profile, write_text_atomic
        from tailorfolio.planning._build import build_plan
        from tailorfolio.planning._settings import PlanSettings

        day = parse_date(as_of)
        prof = load_profile(profile)
        mkt = market_from_options(market, universe)
        prof, mkt, _, day = check_plan_inputs(prof, mkt, None, day)
        plan = build_plan(prof, mkt, settings=PlanSettings(return_model=returns), as_of=day)
        print_plan(console, plan)  # the profile's plausibility warnings are among its warnings
        if json_out is not None:
            write_text_atomic(json_out, plan.to_json())
            console.print(f"[green]Plan written to {json_out}[/green]")
        if html_out is not None:
            from tailorfolio.cli._report import write_html_report

            write_html_report(html_out, plan)
            console.print(f"[green]Report written to {html_out}[/green]")
        if pdf_out is not None or ips_out is not None:
            from tailorfolio.cli._report import write_ips_pdf, write_pdf_report

            for out, write, what in ((pdf_out, write_pdf_report, "Report"),
                                     (ips_out, write_ips_pdf, "Investment policy summary")):
                if out is not None:
                    write(out, plan)
                    console.print(f"[green]{what} (PDF) written to {out}[/green]")

    @app.command("frontier")
    @guarded
    def frontier_cmd(
        profile: Annotated[Path, typer.Argument(help="Investor profile (YAML or JSON).")],
        market: MarketOpt = None,
        universe: UniverseOpt = None,
        points: Annotated[int, typer.Option(help="Number of frontier points.")] = 50,
        csv_out: Annotated[Optional[Path], typer.Option("--csv", help="Write the points "
                                                        "and weights as CSV.")] = None,
        as_of: AsOfOpt = None,
    ) -> None:
        """The efficient frontier under the investor's constraints, and where the plan sits."""
        from rich.panel import Panel

        from tailorfolio._boundary import check_plan_inputs
        from tailorfolio.cli._render import frontier_chart, frontier_table
        from tailorfolio.io import load_profile, write_text_atomic
        from tailorfolio.optimize._optimizer import PortfolioOptimizer
        from tailorfolio.planning._build import build_plan
        from tailorfolio.planning._settings import PlanSettings

        whole(points, "--points", 2, MAX_FRONTIER_POINTS, fix="e.g. --points 50")
        day = parse_date(as_of)
        prof = load_profile(profile)
        mkt = market_from_options(market, universe)
        prof, mkt, _, day = check_plan_inputs(prof, mkt, None, day)
        settings = PlanSettings(frontier_points=points, goal_paths=0)  # goals not shown here
        opt = PortfolioOptimizer(solvers=settings.solvers)
        plan = build_plan(prof, mkt, settings=settings, as_of=day, optimizer=opt)
        # The plan's own market (screened funds, its expected returns) and constraints; the
        # frontier drops the volatility guard so the whole curve shows.
        assert plan.resolved_market is not None and plan.resolved_constraints is not None
        a = plan.resolved_market.assumptions
        cs = plan.resolved_constraints.with_volatility_cap(None)
        fr = opt.frontier(a.expected_return, a.covariance, cs, n_points=points,
                          risk_free_rate=a.risk_free_rate)
        console.print(frontier_table(fr))
        console.print(Panel(frontier_chart(fr, (plan.volatility, plan.expected_return)),
                            title="Frontier (volatility → expected return)"))
        best = int(fr.sharpe.argmax())
        console.print(
            f"Your plan: volatility {plan.volatility:.1%}, expected return "
            f"{plan.expected_return:.1%}, Sharpe {plan.sharpe:.2f}. The frontier's best Sharpe "
            f"is {fr.sharpe[best]:.2f} at volatility {fr.volatility[best]:.1%}; your risk level "
            f"{plan.risk.level} holds at most {plan.constraints.max_equity_share:.0%} stocks "
            "(long-horizon money), and the sleeves near their goals hold less."
        )
        if csv_out is not None:
            write_text_atomic(csv_out, fr.to_frame().to_csv(index=False))
            console.print(f"[green]Frontier written to {csv_out}[/green]")

    @app.command("demo")
    @guarded
    def demo_cmd(
        full: Annotated[bool, typer.Option(help="Print each plan in full as well.")] = False,
    ) -> None:
        """Plan the bundled example investors and show them side by side."""
        from rich.panel import Panel

        from tailorfolio.cli._render import demo_table, print_plan
        from tailorfolio.examples import EXAMPLE_PROFILES, load_example_profile
        from tailorfolio.optimize._optimizer import PortfolioOptimizer
        from tailorfolio.planning._build import build_plan
        from tailorfolio.planning._settings import PlanSettings

        opt = PortfolioOptimizer()
        settings = PlanSettings(goal_paths=2000 if full else 1000)
        plans = [build_plan(load_example_profile(name), optimizer=opt, settings=settings)
                 for name in EXAMPLE_PROFILES]
        console.print(demo_table(plans))
        for p in plans:
            if full:
                print_plan(console, p)
            else:
                console.print(Panel("\n\n".join(p.rationale[:2]), title=p.investor,
                                    border_style="blue"))
