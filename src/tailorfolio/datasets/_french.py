"""Ken French data library series shipped with tailorfolio (10 industries, 3 factors).

Source: Kenneth R. French Data Library, Tuck School of Business at Dartmouth
(https://mba.tuck.dartmouth.edu/pages/faculty/ken.french/data_library.html); see
``datasets/data/README.md`` for files, builds and citation (Fama & French 1993).
The CSV files are parsed here directly (``arch``'s bundled parser breaks on pandas 3).
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd

from tailorfolio.errors import DataError

FF10_FILE = "ff_10_industry_vw_monthly_192607_202012.csv"
FF3_FILE = "ff_research_factors_3f_monthly_192607_202408.csv"
FRENCH_MISSING = -99.99
"""The data library's code for a missing value."""


def _read_package_csv(name: str) -> pd.DataFrame:
    with resources.files("tailorfolio.datasets").joinpath("data", name).open("r") as fh:
        return pd.read_csv(fh)


def yyyymm_to_month_end(values: pd.Series | np.ndarray) -> pd.DatetimeIndex:
    """Turn integers like ``196307`` into month-end timestamps (``1963-07-31``)."""
    text = pd.Series(values).astype(int).astype(str)
    return pd.DatetimeIndex(pd.to_datetime(text, format="%Y%m") + pd.offsets.MonthEnd(0),
                            name="date")


def _percent_frame(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    frame = raw.drop(columns=["yyyymm"]).astype(float)
    frame.index = yyyymm_to_month_end(raw["yyyymm"])
    bad = frame.isin([FRENCH_MISSING]) | frame.isna()
    if bad.to_numpy().any():
        cols = list(frame.columns[bad.any()])
        raise DataError(f"The bundled file {source} has missing values in {cols}.",
                        field=source, value=cols, fix="reinstall tailorfolio")
    return frame / 100.0


def load_ff_industries() -> pd.DataFrame:
    """Fama–French 10 value-weighted industry portfolios, monthly simple returns.

    Returns
    -------
    DataFrame of shape (1134, 10)
        Decimal monthly returns indexed by month end, 1926-07 … 2020-12; columns
        ``NoDur, Durbl, Manuf, Enrgy, HiTec, Telcm, Shops, Hlth, Utils, Other``.
    """
    return _percent_frame(_read_package_csv(FF10_FILE), FF10_FILE)


def load_ff_factors() -> pd.DataFrame:
    """Fama–French research factors, monthly: ``Mkt-RF, SMB, HML, RF`` as decimals.

    Returns
    -------
    DataFrame of shape (1178, 4)
        Indexed by month end, 1926-07 … 2024-08. ``RF`` is the one-month T-bill return.
    """
    return _percent_frame(_read_package_csv(FF3_FILE), FF3_FILE)
