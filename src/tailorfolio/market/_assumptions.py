"""Capital-market assumptions: expected returns, volatilities and correlations, with sources."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tailorfolio.errors import DataError
from tailorfolio.estimate._psd import RepairReport, nearest_correlation


@dataclass(frozen=True)
class CapitalMarketAssumptions:
    """Long-run, annualised assumptions for each asset of a universe.

    Attributes
    ----------
    expected_return : pandas.Series
        Arithmetic expected annual return per ticker, decimal.
    volatility : pandas.Series
        Annual standard deviation per ticker, decimal.
    correlation : pandas.DataFrame
        Correlation matrix indexed both ways by ticker (positive definite).
    risk_free_rate : float
        Annual risk-free rate, decimal.
    inflation : float
        Expected annual inflation, decimal.
    inflation_volatility : float
        Annual standard deviation of inflation, decimal.
    sources : dict of str to str
        Per-ticker citation of the return and volatility figures (plus ``"correlation"``,
        ``"risk_free_rate"``, ``"inflation"``).
    name : str
        Label recorded in plans ("Vanguard VCMM 2025-04-30 (midpoints)").
    repair : RepairReport or None
        Set when the correlation table had to be repaired to be positive definite.
    """

    expected_return: pd.Series
    volatility: pd.Series
    correlation: pd.DataFrame
    risk_free_rate: float
    inflation: float = 0.02
    inflation_volatility: float = 0.018
    sources: dict[str, str] = field(default_factory=dict)
    name: str = "custom"
    repair: RepairReport | None = None

    def __post_init__(self) -> None:
        t = list(self.expected_return.index)
        if list(self.volatility.index) != t or list(self.correlation.index) != t or list(
            self.correlation.columns
        ) != t:
            raise DataError(
                "Capital-market assumptions must list the same tickers in the same order in "
                "expected_return, volatility and correlation.",
                field="assumptions", value=t, fix="align the three tables",
            )
        for name, series in (("expected_return", self.expected_return), ("volatility",
                                                                        self.volatility)):
            bad = series[~np.isfinite(series.to_numpy(dtype=float))]
            if len(bad):
                raise DataError(
                    f"Assumption {name} is not a finite number for {list(bad.index)}.",
                    field=f"assumptions.{name}", value=list(bad.index),
                    expected="finite decimals", fix="fill in the missing figures",
                )
        neg = self.volatility[self.volatility <= 0]
        if len(neg):
            raise DataError(
                f"Volatility must be positive; got {neg.to_dict()}.",
                field="assumptions.volatility", value=neg.to_dict(),
                expected="> 0 (annual standard deviation, decimal)",
                fix="use e.g. 0.15 for 15 %",
            )

    @property
    def tickers(self) -> list[str]:
        return list(self.expected_return.index)

    @property
    def covariance(self) -> pd.DataFrame:
        """Annual covariance matrix, decimal², indexed by ticker."""
        vol = self.volatility.to_numpy()
        cov = self.correlation.to_numpy() * np.outer(vol, vol)
        # the expected returns' own (immutable) Index on both axes: a re-solve on these
        # assumptions finds its label alignment cached (optimize/_validate.py)
        labels = self.expected_return.index
        return pd.DataFrame(cov, index=labels, columns=labels)

    def subset(self, tickers: list[str]) -> CapitalMarketAssumptions:
        """The assumptions for ``tickers`` only, in that order."""
        missing = [t for t in tickers if t not in self.expected_return.index]
        if missing:
            raise DataError(
                f"No capital-market assumptions for {missing}.",
                field="assumptions", value=missing,
                fix="add them to the assumptions table or estimate from prices",
            )
        return CapitalMarketAssumptions(
            expected_return=self.expected_return[tickers],
            volatility=self.volatility[tickers],
            correlation=self.correlation.loc[tickers, tickers],
            risk_free_rate=self.risk_free_rate,
            inflation=self.inflation,
            inflation_volatility=self.inflation_volatility,
            sources={k: v for k, v in self.sources.items() if k in tickers or k not in
                     self.expected_return.index},
            name=self.name,
            repair=self.repair,
        )

    @classmethod
    def from_geometric(
        cls,
        geometric_return: pd.Series,
        volatility: pd.Series,
        correlation: pd.DataFrame,
        **kwargs: object,
    ) -> CapitalMarketAssumptions:
        """Build from compound (geometric) returns: arithmetic = geometric + vol²/2.

        The correlation is repaired to the nearest positive-definite correlation matrix if
        needed, and the repair is recorded in ``repair``.
        """
        corr, report = nearest_correlation(correlation.to_numpy(dtype=float))
        arithmetic = geometric_return + volatility**2 / 2
        return cls(
            expected_return=arithmetic.astype(float),
            volatility=volatility.astype(float),
            correlation=pd.DataFrame(corr, index=correlation.index, columns=correlation.columns),
            repair=report if report.repaired else None,
            **kwargs,
        )
