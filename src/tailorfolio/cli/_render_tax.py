"""Rich renderings of the tax features: account plans, Form 8949 rows, harvests."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tailorfolio.tax._harvest import HarvestOpportunity
from tailorfolio.tax._ledger import Lot, RealizedLot


def _m(x: float) -> str:
    """Dollars to the cent, halves rounded away from zero (as on tax forms)."""
    d = Decimal(repr(float(x))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{d:,.2f}"


def account_plan_panel(plan: object) -> Panel:
    """Per-account targets, lot-level trades, realized gains, tax and trades not made."""
    parts: list[object] = []
    accounts = getattr(plan, "accounts", None)
    summary = accounts.tax if accounts is not None else None
    for ap in plan.account_plans:
        t = Table(title=f"{ap.account} ({ap.account_type}) — value {ap.value:,.0f}, "
                  f"{ap.stage} rebalance", title_justify="left", show_lines=False)
        for col in ("trade", "asset / lot", "shares", "amount", "gain", "term", "tax"):
            t.add_column(col, justify="left" if col in ("trade", "asset / lot") else "right")
        taxable = ap.account_type == "taxable"
        for s in ap.sales:
            t.add_row("sell", s.lot_id, f"{s.quantity:,.4g}", _m(s.proceeds),
                      _m(s.gain) if taxable else "—",
                      ("long" if s.long_term else "short") if taxable else "—",
                      _m(s.tax) if taxable else "—")
        for b in ap.purchases:
            t.add_row("buy", b.asset, f"{b.quantity:,.4g}", _m(b.amount), "", "", "")
        if not ap.sales and not ap.purchases:
            t.add_row("(no trade)", "", "", "", "", "", "")
        tgt = " · ".join(f"{k} {v:,.0f}" for k, v in sorted(ap.target.items(),
                                                           key=lambda kv: -kv[1]))
        lines = [Text(f"target: {tgt}", style="dim")]
        if ap.account_type == "taxable":
            lines.append(Text(
                f"realized short-term {_m(ap.realized_short_term)} · long-term "
                f"{_m(ap.realized_long_term)} · estimated tax {_m(ap.estimated_tax)} · "
                f"largest drift left {ap.max_drift_after:.1%}"))
        for sk in ap.skipped:
            verb = "sell" if sk.amount < 0 else "buy"
            lines.append(Text(f"not made: {verb} {abs(sk.amount):,.0f} of {sk.asset} — "
                              f"{sk.reason}", style="yellow"))
        parts += [t, *lines, Text("")]
    if summary is not None:
        r = summary.rates
        parts.append(Text(
            f"Household: realized ST {_m(summary.realized_short_term)}, LT "
            f"{_m(summary.realized_long_term)}; estimated tax after netting "
            f"{_m(summary.estimated_tax)} at ordinary {r.ordinary:.0%} / long-term "
            f"{r.long_term:.0%} / NIIT {r.niit:.1%} / state {r.state:.0%} ({r.source}).\n"
            f"Asset location vs pro-rata placement over {summary.horizon_years} years: "
            f"after-tax {summary.location_after_tax_value:,.0f} vs "
            f"{summary.pro_rata_after_tax_value:,.0f} per the same dollars "
            f"(+{summary.location_annual_benefit:.2%} a year, under the stated assumptions).",
            style="bold"))
        sold = {s.lot_id for ap in plan.account_plans for s in ap.sales}
        extra = [h for h in summary.harvests if h.actionable and h.lot_id not in sold]
        if extra:
            parts.append(Text("Loss harvests not already in these trades: " + "; ".join(
                f"{h.asset} lot {h.lot_id} (loss {h.loss:,.0f} → {h.replacement})"
                for h in extra)))
    return Panel(Group(*parts), title="Accounts, trades and taxes", border_style="red")


def form_8949_table(rows: Sequence[RealizedLot], title: str) -> Table:
    t = Table(title=title, title_justify="left")
    for col in ("(a) description", "lot", "(b) acquired", "(c) sold", "(d) proceeds",
                "(e) cost basis", "(f) code", "(g) adjustment", "(h) gain/loss", "note"):
        t.add_column(col, justify="right" if col[1] in "deg" or col.startswith("(h") else "left")
    for r in rows:
        note = ""
        if r.permanently_disallowed > 0:
            note = f"{_m(r.permanently_disallowed)} lost for good (IRA/Roth replacement)"
        elif r.wash_sale_disallowed > 0:
            note = "added to basis of " + ", ".join(r.replaced_by)
        t.add_row(r.description, r.lot_id, r.acquired.isoformat(), r.sold.isoformat(),
                  _m(r.proceeds), _m(r.cost_basis), r.code,
                  _m(r.wash_sale_disallowed) if r.wash_sale_disallowed else "",
                  _m(r.gain), note)
    if rows:
        t.add_section()
        t.add_row("total", "", "", "", _m(sum(r.proceeds for r in rows)),
                  _m(sum(r.cost_basis for r in rows)), "",
                  _m(sum(r.wash_sale_disallowed for r in rows)),
                  _m(sum(r.gain for r in rows)), "", style="bold")
    return t


def lots_table(lots: Sequence[Lot]) -> Table:
    t = Table(title="Open lots", title_justify="left")
    for col in ("lot", "account", "asset", "shares", "basis/share", "acquired",
                "holding from", "wash adj./share"):
        t.add_column(col)
    for x in lots:
        t.add_row(x.lot_id, x.account, x.asset, f"{x.quantity:,.4f}", _m(x.basis_per_share),
                  x.acquired.isoformat(), x.holding_start.isoformat(),
                  _m(x.wash_adjustment_per_share) if x.wash_adjustment_per_share else "")
    return t


def harvest_table(opps: Sequence[HarvestOpportunity]) -> Table:
    t = Table(title="Tax-loss harvesting opportunities", title_justify="left")
    for col in ("lot", "asset", "shares", "loss", "term", "replacement", "benefit",
                "cost", "net", "safe to switch back", "status / conflicts"):
        t.add_column(col)
    for h in opps:
        status = ("[green]harvest[/green] " if h.actionable else "[yellow]skip[/yellow] ") + \
            h.reason
        if h.conflicts:
            status += "\n" + "\n".join(f"⚠ {c}" for c in h.conflicts)
        t.add_row(h.lot_id, h.asset, f"{h.quantity:,.4g}", _m(h.loss),
                  "long" if h.long_term else "short",
                  f"{h.replacement} ({h.replacement_index})" if h.replacement else "—",
                  _m(h.tax_benefit), _m(h.trade_cost), _m(h.net_benefit),
                  h.safe_after.isoformat(), status)
    return t
