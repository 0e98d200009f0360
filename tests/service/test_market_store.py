"""Firm market data: validated uploads stored as immutable versions; plans use the current one
and record it."""

from __future__ import annotations

import io

import pandas as pd
import pytest
import sqlalchemy as sa

from .book_helpers import HELD, csv_bytes, price_history
from .svc_helpers import ACCOUNT, PROFILE, make_plan, sign_up

from tailorfolio.market._defaults import default_universe_table


def upload(c, headers, prices: bytes, name: str = "prices.csv", **extra: tuple[str, bytes]):
    files = {"prices": (name, prices, "text/csv")}
    for key, (fname, raw) in extra.items():
        files[key] = (fname, raw, "text/csv")
    return c.post("/api/v1/market-versions", headers=headers, files=files,
                  data={"note": "month-end closes"})


def versions(c, headers) -> int:
    return c.get("/api/v1/market-versions", headers=headers).json()["total"]


def test_a_valid_upload_becomes_the_current_version(client):
    a = sign_up(client, "m@m.example")
    assert client.get("/api/v1/market-versions/current", headers=a).json() == {
        "source": "bundled", "market_version": None}
    px = price_history()
    r = upload(client, a, csv_bytes(px))
    assert r.status_code == 201, r.text
    v1 = r.json()
    assert v1["version"] == 1 and v1["as_of"] == str(px.index[-1])
    assert v1["summary"]["tickers"] == list(HELD)
    assert v1["summary"]["periods_per_year"] == 12
    assert v1["summary"]["last_prices"]["VTI"] == pytest.approx(px["VTI"].iloc[-1])
    # the long form (date, ticker, price) as Parquet, as `--market` reads it
    long = px.reset_index().melt(id_vars="date", var_name="ticker", value_name="price")
    buf = io.BytesIO()
    long.assign(date=long["date"].astype(str)).to_parquet(buf)
    r = upload(client, a, buf.getvalue(), name="prices.parquet")
    assert r.status_code == 201, r.text
    cur = client.get("/api/v1/market-versions/current", headers=a).json()
    assert cur["source"] == "firm" and cur["market_version"]["version"] == 2
    listed = client.get("/api/v1/market-versions", headers=a).json()
    assert [v["version"] for v in listed["items"]] == [2, 1]
    # another firm sees none of it
    b = sign_up(client, "other@m.example", firm="Other")
    assert versions(client, b) == 0


@pytest.mark.parametrize("case, field, words", [
    ("negative", "prices.VWO", "non-positive"),
    ("gap", "prices.date", "missing"),
    ("bad_ticker", "prices.columns", "not a valid ticker"),
    ("unclassified", "prices.columns", "does not classify"),
    ("too_short", "prices", "at least"),
])
def test_bad_price_files_are_refused_naming_the_field(client, case, field, words):
    a = sign_up(client, "bad@m.example")
    px = price_history()
    if case == "negative":
        px.iloc[7, list(px.columns).index("VWO")] = -4.0
    elif case == "gap":
        px = px.drop(px.index[20])
    elif case == "bad_ticker":
        px = px.rename(columns={"VTI": "VT I$"})
    elif case == "unclassified":
        px = px.rename(columns={"VTI": "ZZZZ"})
    else:
        px = px.iloc[:10]
    r = upload(client, a, csv_bytes(px))
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["field"] == field and words in body["message"], body
    assert body["fix"]
    assert versions(client, a) == 0  # nothing stored


def test_universe_and_assumptions_files_are_checked_and_used(client):
    a = sign_up(client, "u@m.example")
    px = price_history()
    uni = default_universe_table()
    uni = uni[uni["ticker"].isin(HELD)].copy()
    bad = uni.copy()
    bad.loc[bad["ticker"] == "VNQ", "asset_class"] = "moon_real_estate"
    r = upload(client, a, csv_bytes(px), universe=("universe.csv", csv_bytes(bad, index=False)))
    assert r.status_code == 422 and r.json()["field"] == "universe.VNQ.asset_class", r.text
    ass = pd.DataFrame({"ticker": ["VTI", "QQQ"], "expected_return": [0.07, 0.09],
                        "volatility": [0.16, 0.2]})
    r = upload(client, a, csv_bytes(px), assumptions=("a.csv", csv_bytes(ass, index=False)))
    assert r.status_code == 422 and r.json()["field"] == "assumptions.QQQ.ticker", r.text
    ass = pd.DataFrame({"ticker": ["VTI", "BND"], "expected_return": [0.07, 3.5],
                        "volatility": [0.16, 0.05]})
    r = upload(client, a, csv_bytes(px), assumptions=("a.csv", csv_bytes(ass, index=False)))
    assert r.status_code == 422 and r.json()["field"] == "assumptions.BND.expected_return"
    assert versions(client, a) == 0
    ass.loc[1, "expected_return"] = 0.035
    r = upload(client, a, csv_bytes(px), universe=("universe.csv", csv_bytes(uni, index=False)),
               assumptions=("a.csv", csv_bytes(ass, index=False)))
    assert r.status_code == 201, r.text
    s = r.json()["summary"]
    assert s["has_universe"] and s["has_assumptions"]
    assert s["files"] == {"prices": "prices.csv", "universe": "universe.csv",
                          "assumptions": "a.csv"}


def test_plans_value_holdings_at_the_firm_prices_and_record_the_version(client):
    a = sign_up(client, "p@m.example")
    cid = client.post("/api/v1/clients", headers=a, json={"name": "P", "profile": PROFILE}
                      ).json()["id"]
    client.post(f"/api/v1/clients/{cid}/accounts", headers=a, json=ACCOUNT)
    bundled = make_plan(client, a, cid)
    assert bundled["inputs"]["market"] == "default" and bundled["market_version_id"] is None
    px = price_history(scale=0.8)  # the firm's prices: 20 % below the bundled reference prices
    mv = upload(client, a, csv_bytes(px)).json()
    plan = make_plan(client, a, cid)
    assert plan["market_version_id"] == mv["id"]
    assert plan["inputs"]["market"]["firm_market_version"] == 1
    assert plan["assumptions"]["last_prices"]["VTI"] == pytest.approx(px["VTI"].iloc[-1])
    lots = ACCOUNT["lots"]
    held = sum(lot["quantity"] * px[lot["asset"]].iloc[-1] for lot in lots) + ACCOUNT["cash"]
    assert plan["investable_wealth"] == pytest.approx(held, rel=1e-9)
    assert plan["investable_wealth"] < bundled["investable_wealth"]
    # the plan page says which market it used
    from .test_ui import ui_sign_in

    ui_sign_in(client, "p@m.example")
    page = client.get(f"/clients/{cid}/plans/{plan['id']}").text
    assert "firm market version 1" in page
    assert "bundled default market" in client.get(f"/clients/{cid}/plans/{bundled['id']}").text


def test_market_versions_are_immutable(app, client):
    a = sign_up(client, "i@m.example")
    upload(client, a, csv_bytes(price_history()))
    from tailorfolio.service._models import MarketVersion

    with app.state.sessions() as db:
        row = db.scalar(sa.select(MarketVersion))
        row.note = "changed"
        with pytest.raises(RuntimeError, match="immutable"):
            db.commit()


def test_the_market_page_uploads_and_shows_field_errors(client):
    from .test_ui import csrf, ui_sign_in

    sign_up(client, "ui@m.example")
    ui_sign_in(client, "ui@m.example")
    page = client.get("/market")
    assert "bundled default market" in page.text
    px = price_history()
    px.iloc[3, 0] = 0.0
    r = client.post("/market", data={"csrf_token": csrf(page.text), "note": "x"},
                    files={"prices": ("prices.csv", csv_bytes(px), "text/csv")})
    assert r.status_code == 422 and 'id="e-prices"' in r.text and "non-positive" in r.text
    r = client.post("/market", data={"csrf_token": csrf(page.text)}, follow_redirects=False,
                    files={"prices": ("prices.csv", csv_bytes(price_history()), "text/csv")})
    assert r.status_code == 303 and r.headers["location"] == "/market?uploaded=1"
    page = client.get("/market?uploaded=1").text
    assert "firm market version 1" in page and "(current)" in page
