"""Transaction tables (CSV rows) into ledger transactions."""

from __future__ import annotations

from datetime import date

import pandas as pd

from tailorfolio.errors import TaxError
from tailorfolio.profile._enums import AccountType
from tailorfolio.tax._ledger import LotMethod, Transaction

REQUIRED_COLUMNS = ("date", "account", "action", "asset", "quantity", "price")
"""Columns a transactions file must have; optional: account_type (taxable by default),
method (fifo/hifo/specific/min_tax), lot_ids (``;``-separated, for specific), lot_id."""


def transactions_from_frame(df: pd.DataFrame) -> tuple[list[Transaction], dict[str, AccountType]]:
    """Parse a transactions table.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per event with the :data:`REQUIRED_COLUMNS`.

    Returns
    -------
    transactions : list of Transaction
    accounts : dict of str to AccountType
        Each account named and its type (``account_type`` column, default taxable).

    Raises
    ------
    TaxError
        Naming the row and column of the first invalid value.
    """
    cols = {c.strip().lower(): c for c in df.columns}
    missing = [c for c in REQUIRED_COLUMNS if c not in cols]
    if missing:
        raise TaxError(f"The transactions table lacks column(s) {missing}.", field="columns",
                       value=list(df.columns), expected=f"columns {list(REQUIRED_COLUMNS)}",
                       fix="add the missing columns (see the bundled example_transactions.csv)")
    out: list[Transaction] = []
    accounts: dict[str, AccountType] = {}
    for i, row in enumerate(df.to_dict(orient="records"), start=2):
        def get(name: str, default: object = None) -> object:
            v = row.get(cols[name]) if name in cols else default
            return default if v is None or (isinstance(v, float) and pd.isna(v)) else v

        where = f"row {i}"
        try:
            when = date.fromisoformat(str(get("date")).strip()[:10])
        except ValueError:
            raise TaxError(f"{where}: date {get('date')!r} is not a date.", field=f"{where}.date",
                           value=get("date"), expected="YYYY-MM-DD", fix="fix the date") from None
        account = str(get("account")).strip()
        acc_type = str(get("account_type", "taxable")).strip().lower()
        try:
            t = AccountType(acc_type)
        except ValueError:
            raise TaxError(f"{where}: account_type {acc_type!r} is unknown.",
                           field=f"{where}.account_type", value=acc_type,
                           expected="taxable, traditional or roth", fix="fix the type") from None
        if accounts.setdefault(account, t) is not t:
            raise TaxError(f"{where}: account {account!r} is given two types.",
                           field=f"{where}.account_type", value=acc_type,
                           expected=accounts[account].value, fix="use one type per account")
        action = str(get("action")).strip().lower()
        if action not in ("buy", "sell", "reinvest"):
            raise TaxError(f"{where}: action {action!r} is unknown.", field=f"{where}.action",
                           value=action, expected="buy, sell or reinvest", fix="fix the action")
        try:
            qty = float(get("quantity"))
            price = float(get("price"))
        except (TypeError, ValueError):
            raise TaxError(f"{where}: quantity and price must be numbers.",
                           field=f"{where}.quantity", value=(get("quantity"), get("price")),
                           expected="numbers", fix="fix the row") from None
        try:
            method = LotMethod(str(get("method", "fifo")).strip().lower())
        except ValueError:
            raise TaxError(f"{where}: method {get('method')!r} is unknown.",
                           field=f"{where}.method", value=get("method"),
                           expected=str([m.value for m in LotMethod]),
                           fix="use fifo, hifo, specific or min_tax") from None
        ids = tuple(s.strip() for s in str(get("lot_ids", "")).split(";") if s.strip())
        lot_id = get("lot_id")
        out.append(Transaction(when, account, action, str(get("asset")).strip().upper(), qty,
                               price, method, ids, None if lot_id is None else str(lot_id)))
    return out, accounts
