"""Walk-forward backtesting with enforced no look-ahead, drifting weights, costs, cash flows,
calendar and drift-band rebalancing, and an honest comparison against 1/N."""

from tailorfolio.backtest._audit import check_no_lookahead
from tailorfolio.backtest._bootstrap import SharpeDifference, sharpe_difference
from tailorfolio.backtest._compare import (
    comparison_table,
    equity_curves,
    markdown_table,
    run_many,
    run_on_dataset,
)
from tailorfolio.backtest._costs import TransactionCosts
from tailorfolio.backtest._engine import run_backtest
from tailorfolio.backtest._evaluation import (
    EvaluationReport,
    EvaluationSection,
    standard_evaluation,
)
from tailorfolio.backtest._history import HistoryView
from tailorfolio.backtest._policy import CalendarPolicy, DriftBandPolicy, RebalancePolicy
from tailorfolio.backtest._result import BacktestMetrics, BacktestProvenance, BacktestResult
from tailorfolio.backtest._strategy import Strategy

__all__ = [
    "BacktestMetrics",
    "BacktestProvenance",
    "BacktestResult",
    "CalendarPolicy",
    "DriftBandPolicy",
    "EvaluationReport",
    "EvaluationSection",
    "HistoryView",
    "RebalancePolicy",
    "SharpeDifference",
    "Strategy",
    "TransactionCosts",
    "check_no_lookahead",
    "comparison_table",
    "equity_curves",
    "markdown_table",
    "run_backtest",
    "run_many",
    "run_on_dataset",
    "sharpe_difference",
    "standard_evaluation",
]
