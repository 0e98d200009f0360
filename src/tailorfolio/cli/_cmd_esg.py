"""The ``tailorfolio esg`` command: ESG profile, ESG-efficient frontier, cost of one's values."""

from __future__ import annotations

import dataclasses
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.panel import Panel

from tailorfolio.cli._errors import guarded
from tailorfolio.cli._options import (
    AsOfOpt,
    MarketOpt,
    UniverseOpt,
    market_from_options,
    number,
    parse_date,
    whole,
)
from tailorfolio.limits import MAX_PATHS
from tailorfolio.errors import InfeasibleError, MissingDependencyError, ParameterError

if TYPE_CHECKING:
    from tailorfolio.market._market import Market

console = Console()


class Sample(str, Enum):
    """Bundled sample markets for the command."""

    SP500 = "sp500"


def sp500_sample_market() -> Market:
    """skfolio's 20 S&P 500 stocks (prices 1990–2022) with tailorfolio's sector tags."""
    try:
        from skfolio.datasets import load_sp500_dataset
    except ImportError:  # pragma: no cover - skfolio is in the dev extra
        raise MissingDependencyError(
            "The S&P 500 sample needs skfolio (its bundled prices).",
            field="--sample", value="sp500", fix="pip install 'tailorfolio[dev]' or skfolio",
        ) from None
    from tailorfolio.esg._sample import sp500_sample_universe
    from tailorfolio.market._from_prices import market_from_prices

    return market_from_prices(load_sp500_dataset(), universe=sp500_sample_universe(),
                              name="skfolio S&P 500 sample")


def with_user_scores(market: Market, path: Path, minimum: float, maximum: float,
                     direction: str, source: str) -> Market:
    """``market`` with every ESG field replaced by the user's file (mapped to 0–100)."""
    from tailorfolio.esg._data import (
        EsgScale,
        ScoreDirection,
        apply_esg_scores,
        esg_scores_from_frame,
    )
    from tailorfolio.io import read_table

    scale = EsgScale(minimum, maximum, ScoreDirection(direction), source or str(path.name))
    table = esg_scores_from_frame(read_table(path), scale)
    uni = apply_esg_scores(market.universe, table)
    uni = dataclasses.replace(uni, name=f"{uni.name} (ESG data: {path.name})")
    sources = dict(market.assumptions.sources)
    sources["esg"] = scale.describe() + (f"; {len(table.clipped)} value(s) clipped to the scale"
                                         if table.clipped else "")
    return dataclasses.replace(market, universe=uni,
                               assumptions=dataclasses.replace(market.assumptions,
                                                               sources=sources))


def register(app: typer.Typer) -> None:
    """Add the ``esg`` command to ``app``."""

    @app.command("esg")
    @guarded
    def esg_cmd(
        profile: Annotated[Path, typer.Argument(help="Investor profile (YAML or JSON).")],
        market: MarketOpt = None,
        universe: UniverseOpt = None,
        sample: Annotated[Optional[Sample], typer.Option(
            help="Use a bundled stock-level sample market instead (sp500: skfolio's 20 "
            "stocks with GICS sector tags).")] = None,
        esg_scores: Annotated[Optional[Path], typer.Option(
            "--esg-scores", help="CSV/Parquet of ESG data: ticker, esg_score (or total), "
            "optional esg_e, esg_s, esg_g, carbon_intensity. Replaces the universe's scores.")
        ] = None,
        scale_min: Annotated[float, typer.Option("--esg-scale-min", help="Lowest value of "
                                                 "the file's score scale.")] = 0.0,
        scale_max: Annotated[float, typer.Option("--esg-scale-max", help="Highest value of "
                                                 "the file's score scale.")] = 100.0,
        direction: Annotated[str, typer.Option(
            "--esg-direction", help="higher_is_better (MSCI-style scores) or higher_is_worse "
            "(risk ratings such as Sustainalytics).")] = "higher_is_better",
        source: Annotated[str, typer.Option("--esg-source", help="Who produced the scores, "
                                            "and when (recorded in the report).")] = "",
        sleeve: Annotated[bool, typer.Option(
            "--sleeve", help="Treat the universe as one sleeve of a wider portfolio (e.g. "
            "only stocks): the risk level's volatility ceiling and the cash reserve do not "
            "apply to it.")] = False,
        presets: Annotated[bool, typer.Option(
            "--presets", help="Also compare the four ESG presets, each on its own (your "
            "other ESG fields cleared), on this universe.")] = False,
        points: Annotated[int, typer.Option(help="Points on the ESG frontier.")] = 12,
        goal_paths: Annotated[int, typer.Option(
            "--goal-paths", help="Monte Carlo paths for goal-success probabilities (0 skips "
            "them).")] = 2000,
        csv_out: Annotated[Optional[Path], typer.Option("--csv", help="Write the frontier "
                                                        "points and weights as CSV.")] = None,
        as_of: AsOfOpt = None,
    ) -> None:
        """ESG profile of your plan, the ESG-efficient frontier and the cost of your values."""
        import numpy as np

        from tailorfolio._boundary import check_plan_inputs
        from tailorfolio.cli._render_esg import (
            cost_panel,
            esg_frontier_chart,
            esg_frontier_table,
            esg_panel,
            preset_table,
        )
        from tailorfolio.esg._cost import has_esg_preferences, without_esg
        from tailorfolio.esg._frontier import esg_frontier, floor_measure
        from tailorfolio.esg._stage import compare_plans, market_for_profile, risk_matched_return
        from tailorfolio.io import load_profile, write_text_atomic
        from tailorfolio.optimize._optimizer import PortfolioOptimizer
        from tailorfolio.planning._build import baseline_without_esg, build_plan
        from tailorfolio.planning._plan import Plan
        from tailorfolio.planning._settings import PlanSettings
        from tailorfolio.profile._investor import InvestorProfile

        if direction not in ("higher_is_better", "higher_is_worse"):
            raise ParameterError(f"--esg-direction {direction!r} is not valid.",
                                 field="--esg-direction", value=direction,
                                 expected="higher_is_better or higher_is_worse",
                                 fix="use higher_is_worse for risk ratings")
        whole(points, "--points", 2, 100)
        whole(goal_paths, "--goal-paths", 0, MAX_PATHS, fix="0 skips the goals")
        lo = number(scale_min, "--esg-scale-min", -1e9, 1e9)
        hi = number(scale_max, "--esg-scale-max", -1e9, 1e9)
        if not lo < hi:
            raise ParameterError(f"--esg-scale-min {lo:g} must be below --esg-scale-max {hi:g}.",
                                 field="--esg-scale-min", value=lo, expected=f"< {hi:g}")
        if sample is not None and (market is not None or universe is not None):
            raise ParameterError("Use either --sample or --market/--universe, not both.",
                                 field="--sample", fix="drop one of them")
        when = parse_date(as_of)
        prof = load_profile(profile)
        mkt = sp500_sample_market() if sample is not None else market_from_options(market,
                                                                                   universe)
        prof, mkt, _, when = check_plan_inputs(prof, mkt, None, when)
        mkt = market_for_profile(prof, mkt)
        if esg_scores is not None:
            mkt = with_user_scores(mkt, esg_scores, scale_min, scale_max, direction, source)
        if goal_paths < 0:
            raise ParameterError(f"--goal-paths must be >= 0. Got {goal_paths}.",
                                 field="--goal-paths", value=goal_paths, fix="e.g. 2000")
        settings = PlanSettings(goal_paths=goal_paths)
        opt = PortfolioOptimizer(solvers=settings.solvers)

        def as_sleeve(p: InvestorProfile) -> InvestorProfile:
            # One sleeve of a wider portfolio (e.g. all stocks): no cash reserve of its own.
            if not sleeve:
                return p
            prefs = p.preferences.model_copy(update={"cash_reserve_months": 0})
            return p.model_copy(update={"preferences": prefs})

        def make_plan(p: InvestorProfile) -> Plan:
            # this command shows the ESG section even to an investor without ESG preferences
            return build_plan(as_sleeve(p), mkt, settings=settings, as_of=when, optimizer=opt,
                              esg_always=True)

        try:
            plan = make_plan(prof)
        except InfeasibleError as exc:
            if not any(a.broad_class in ("bond", "cash") for a in mkt.universe):
                exc.add_note("This universe has no bond or cash asset; if it is one sleeve of "
                             "a wider portfolio, add --sleeve.")
            raise
        assert plan.esg is not None and plan.resolved_constraints is not None
        base = baseline_without_esg(as_sleeve(prof), mkt, settings, when, opt)
        assert base.resolved_constraints is not None
        cost = plan.esg.cost
        if cost is None and has_esg_preferences(prof.preferences):
            cost = compare_plans(plan, base, risk_matched=risk_matched_return(
                base.resolved_constraints, mkt, float(plan.volatility), opt))
        console.print(f"[bold]{plan.investor}[/bold] — universe: {mkt.universe.name} "
                      f"({len(mkt.universe)} assets); risk level {plan.risk.level}/10"
                      + (" — as a sleeve (no cash reserve)"
                         if sleeve else ""))
        console.print(esg_panel(plan, show_warnings=True))

        assert plan.resolved_market is not None
        a = plan.resolved_market.assumptions
        plan_cs = plan.resolved_constraints
        w_plan = np.array([plan.weights[t] for t in plan_cs.tickers])
        plan_score = floor_measure(plan_cs, w_plan)
        if plan_cs.esg_scores is None or np.isnan(plan_cs.esg_scores).all():
            console.print(Panel("This universe has no ESG scores, so there is no ESG-efficient "
                                "frontier; exclusions still apply. Load scores with "
                                "--esg-scores FILE.", border_style="yellow"))
        else:
            # The frontier is drawn under the investor's non-ESG constraints (PFP: the best
            # Sharpe at each ESG level); the exclusions' curve is shown beside it.
            base_cs = base.resolved_constraints
            fr = esg_frontier(a.expected_return, a.covariance, base_cs, n_points=points,
                              risk_free_rate=a.risk_free_rate, optimizer=opt)
            fr_ex = None
            if plan_cs.exclusions:
                fr_ex = esg_frontier(a.expected_return, a.covariance, plan_cs,
                                     risk_free_rate=a.risk_free_rate, optimizer=opt,
                                     floors=fr.floors)
            console.print(esg_frontier_table(fr, plan_score, fr_ex))
            console.print(Panel(esg_frontier_chart(fr, (plan_score, plan.sharpe)),
                                title="ESG-efficient frontier (Pedersen, Fitzgibbons & "
                                "Pomorski 2021)"))
            lines = [
                f"Best Sharpe ratio without ESG preferences: {fr.tangency_sharpe:.3f}, at an "
                f"ESG score of {fr.tangency_score:.1f}; the highest reachable score is "
                f"{fr.max_score:.1f} (best Sharpe there {fr.sharpe[-1]:.3f}).",
            ]
            if fr_ex is not None:
                lines.append(
                    f"With your exclusions the best Sharpe ratio is {fr_ex.tangency_sharpe:.3f} "
                    f"(score {fr_ex.tangency_score:.1f}): the exclusions alone change it by "
                    f"{fr_ex.tangency_sharpe - fr.tangency_sharpe:+.3f}.")
            lines.append(
                f"Your plan: ESG score {plan_score:.1f}, Sharpe {plan.sharpe:.3f}. It maximises "
                "its goals' sleeves at your risk level (not the Sharpe ratio), so it sits below "
                "the curve.")
            console.print("\n".join(lines))
            if cost is not None:
                at_plan = esg_frontier(a.expected_return, a.covariance, base_cs,
                                       risk_free_rate=a.risk_free_rate, optimizer=opt,
                                       floors=np.array([plan_score]))
                sharpe_cost = max(0.0, fr.tangency_sharpe - float(at_plan.sharpe[0]))
                cost = dataclasses.replace(cost, frontier_sharpe_cost=sharpe_cost)
            if csv_out is not None:
                write_text_atomic(csv_out, fr.to_frame().to_csv(index=False))
                console.print(f"[green]ESG frontier written to {csv_out}[/green]")
        if presets:
            quick = settings.model_copy(update={"goal_paths": 0})
            console.print(preset_table(prof, lambda p: build_plan(
                as_sleeve(p), mkt, settings=quick, as_of=when, optimizer=opt,
                esg_always=True)))
        if cost is not None:
            console.print(cost_panel(cost))
        else:
            console.print("This profile sets no ESG preferences, so there is no cost of values "
                          "to report (set preferences.esg_preset, excluded_sectors, "
                          "min_esg_score or esg_tilt).")
