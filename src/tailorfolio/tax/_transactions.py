"""Transaction tables (CSV rows) into ledger transactions."""

from __future__ import annotations

from datetime import date

import pandas as pd

from tailorfolio.errors import TaxError
from tailorfolio.limits import (
    MAX_PRICE,
    MAX_QUANTITY,
    MAX_TRANSACTIONS,
    MIN_DATE,
    check_number,
    clip_text,
)
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
    if len(df) > MAX_TRANSACTIONS:
        raise TaxError(f"The transactions table has {len(df):,} rows; at most "
                       f"{MAX_TRANSACTIONS:,} are supported.", field="rows", value=len(df),
                       expected=f"<= {MAX_TRANSACTIONS:,} rows", fix="split the history by year")
    today = date.today()
    out: list[Transaction] = []
    accounts: dict[str, AccountType] = {}
    for i, row in enumerate(df.to_dict(orient="records"), start=2):
        def get(name: str, default: object = None) -> object:
            v = row.get(cols[name]) if name in cols else default
            return default if v is None or (isinstance(v, float) and pd.isna(v)) else v

        where = f"row {i}"
        raw_date = str(get("date")).strip()
        try:
            if len(raw_date) > 10 and raw_date[10] not in " T":
                raise ValueError(raw_date)
            when = date.fromisoformat(raw_date[:10])
        except ValueError:
            raise TaxError(f"{where}: date {clip_text(get('date'))} is not a real YYYY-MM-DD "
                           "date.", field=f"{where}.date", value=clip_text(get("date")),
                           expected="YYYY-MM-DD", fix="fix the date") from None
        if when < MIN_DATE or when > today:
            raise TaxError(f"{where}: date {when} is "
                           f"{'in the future' if when > today else f'before {MIN_DATE}'}; the "
                           "ledger records trades that happened.", field=f"{where}.date",
                           value=when.isoformat(), expected=f"a date in [{MIN_DATE}, {today}]",
                           fix="fix the year")
        if get("account") is None or not str(get("account")).strip():
            raise TaxError(f"{where}: account is empty.", field=f"{where}.account",
                           value=None, expected="the account's name", fix="name the account")
        if get("asset") is None or not str(get("asset")).strip():
            raise TaxError(f"{where}: asset is empty.", field=f"{where}.asset",
                           value=None, expected="a ticker", fix="give the ticker")
        account = str(get("account")).strip()[:80]
        acc_type = str(get("account_type", "taxable")).strip().lower()
        try:
            t = AccountType(acc_type)
        except ValueError:
            raise TaxError(f"{where}: account_type {clip_text(acc_type)} is unknown.",
                           field=f"{where}.account_type", value=clip_text(acc_type),
                           expected="taxable, traditional or roth", fix="fix the type") from None
        if accounts.setdefault(account, t) is not t:
            raise TaxError(f"{where}: account {clip_text(account)} is given two types.",
                           field=f"{where}.account_type", value=acc_type,
                           expected=accounts[account].value, fix="use one type per account")
        action = str(get("action")).strip().lower()
        if action not in ("buy", "sell", "reinvest"):
            raise TaxError(f"{where}: action {clip_text(action)} is unknown.",
                           field=f"{where}.action", value=clip_text(action),
                           expected="buy, sell or reinvest", fix="fix the action")
        qty = check_number(get("quantity"), f"{where}.quantity", lo=0.0, hi=MAX_QUANTITY,
                           lo_open=True, error=TaxError, fix="give the number of shares (> 0)")
        price = check_number(get("price"), f"{where}.price", lo=0.0, hi=MAX_PRICE,
                             error=TaxError, fix="give the price per share")
        try:
            method = LotMethod(str(get("method", "fifo")).strip().lower())
        except ValueError:
            raise TaxError(f"{where}: method {clip_text(get('method'))} is unknown.",
                           field=f"{where}.method", value=clip_text(get("method")),
                           expected=str([m.value for m in LotMethod]),
                           fix="use fifo, hifo, specific or min_tax") from None
        ids = tuple(s.strip() for s in str(get("lot_ids", "")).split(";") if s.strip())
        lot_id = get("lot_id")
        asset = str(get("asset")).strip().upper()
        if len(asset) > 20:
            raise TaxError(f"{where}: asset {clip_text(asset)} is not a ticker (at most 20 "
                           "characters).", field=f"{where}.asset", value=clip_text(asset),
                           expected="a ticker", fix="fix the asset column")
        out.append(Transaction(when, account, action, asset, qty,
                               price, method, ids, None if lot_id is None else str(lot_id)))
    return out, accounts
