"""Taxes: the lot ledger and wash sales, tax tables, asset location, tax-aware rebalancing and
loss harvesting (US federal rules; state tax as a flat rate)."""

from tailorfolio.tax._holding import is_long_term, long_term_date, safe_repurchase_date
from tailorfolio.tax._ledger import Ledger, Lot, LotMethod, RealizedLot, Transaction
from tailorfolio.tax._netting import YearTax, net_capital_gains
from tailorfolio.tax._substitutes import Security, SubstituteTable, substitute_table
from tailorfolio.tax._tables import (
    NIIT_RATE,
    TABLES,
    MarginalRates,
    TaxYearTable,
    marginal_rates,
    tax_table,
)
from tailorfolio.tax._transactions import transactions_from_frame
from tailorfolio.tax._transition import (
    BenefitModel,
    TransitionNotes,
    YearGains,
    transition_account,
)

__all__ = [
    "Ledger", "Lot", "LotMethod", "RealizedLot", "Transaction", "YearTax", "net_capital_gains",
    "Security", "SubstituteTable", "substitute_table", "NIIT_RATE", "TABLES", "MarginalRates",
    "TaxYearTable", "marginal_rates", "tax_table", "transactions_from_frame", "is_long_term",
    "long_term_date", "safe_repurchase_date", "BenefitModel", "TransitionNotes", "YearGains",
    "transition_account",
]
