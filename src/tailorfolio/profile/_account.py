"""Accounts and the tax lots they hold."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tailorfolio.limits import MAX_LOTS, MAX_MONEY, MAX_PRICE, MAX_QUANTITY, MIN_DATE
from tailorfolio.profile._enums import AccountType


class TaxLot(BaseModel):
    """Shares of one asset bought together: the unit of cost basis and holding period.

    Attributes
    ----------
    asset : str
        Ticker, as in the market's universe (upper-cased on load).
    quantity : float
        Number of shares, > 0 (fractional shares allowed).
    cost_basis_per_share : float
        Purchase price per share including fees, currency units, >= 0.
    acquired : date
        Trade date of the purchase (starts the holding period).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    asset: str = Field(min_length=1, max_length=20)
    quantity: float = Field(gt=0, le=MAX_QUANTITY)
    cost_basis_per_share: float = Field(ge=0, le=MAX_PRICE)
    acquired: date = Field(ge=MIN_DATE)

    @field_validator("asset")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.strip().upper()

    @property
    def cost_basis(self) -> float:
        """Total cost basis of the lot, currency units."""
        return self.quantity * self.cost_basis_per_share


class Account(BaseModel):
    """One account of the household.

    Attributes
    ----------
    name : str
        Unique within the profile ("Brokerage", "401(k)").
    type : AccountType
        taxable / traditional / roth.
    cash : float
        Uninvested cash, currency units, >= 0.
    lots : list of TaxLot
        Current holdings, lot by lot.
    annual_contribution : float
        Planned yearly deposits into this account (>= 0), used by cash-flow rebalancing and
        simulation.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field(min_length=1, max_length=80)
    type: AccountType
    cash: float = Field(default=0.0, ge=0, le=MAX_MONEY)
    lots: tuple[TaxLot, ...] = Field(default=(), max_length=MAX_LOTS)
    annual_contribution: float = Field(default=0.0, ge=0, le=MAX_MONEY)

    def value(self, prices: dict[str, float]) -> float:
        """Market value of the account (cash plus lots at ``prices``), currency units."""
        return self.cash + sum(lot.quantity * prices[lot.asset] for lot in self.lots)
