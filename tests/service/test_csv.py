"""CSV upload parsing: round trip of any valid lots, and errors that name the line."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tailorfolio.errors import DataError
from tailorfolio.service._errors import PayloadTooLargeError
from tailorfolio.service._logic import parse_lots_csv

lots = st.lists(st.tuples(
    st.sampled_from(["VTI", "BND", "vea", " VWO "]),
    st.floats(min_value=1e-6, max_value=1e9, allow_nan=False),
    st.floats(min_value=0, max_value=1e6, allow_nan=False),
    st.dates(min_value=date(1970, 1, 1), max_value=date(2025, 12, 31))), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(lots)
def test_any_valid_lots_round_trip_exactly(rows):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["Asset", "quantity", "cost_basis_per_share", "acquired"])
    for a, q, c, d in rows:
        w.writerow([a, repr(q), repr(c), d.isoformat()])
    parsed = parse_lots_csv(buf.getvalue().encode(), 10_000_000)
    assert [(p.asset.strip().upper(), p.quantity, p.cost_basis_per_share, p.acquired)
            for p in parsed] == [(a.strip().upper(), q, c, d) for a, q, c, d in rows]


@pytest.mark.parametrize("text,field", [
    ("asset,quantity,cost_basis_per_share,acquired\nVTI,abc,1,2020-01-01\n", "file line 2"),
    ("asset,quantity,cost_basis_per_share,acquired\nVTI,1,1,2020-01-01\nVTI,1,1,01/02/2020\n",
     "file line 3"),
    ("asset,quantity\nVTI,1\n", "file"),
    ("asset,quantity,cost_basis_per_share,acquired\n", "file"),
])
def test_invalid_csv_names_the_line(text, field):
    with pytest.raises(DataError) as info:
        parse_lots_csv(text.encode(), 10_000)
    assert info.value.field == field


def test_size_and_encoding_limits():
    with pytest.raises(PayloadTooLargeError):
        parse_lots_csv(b"x" * 101, 100)
    with pytest.raises(DataError, match="UTF-8"):
        parse_lots_csv(b"\xff\xfe\x00bad", 100)
