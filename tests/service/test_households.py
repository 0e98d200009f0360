"""Households through the API: two people, several goals, income streams; edit and delete
goals, lots, accounts and clients, each change in the audit log with before and after."""

from __future__ import annotations

from .svc_helpers import ACCOUNT, PROFILE, make_plan, sign_in, sign_up

HOUSEHOLD = {
    **PROFILE, "filing_status": "married_joint",
    "partner": {"name": "Alex", "age": 39, "annual_income": 90000, "retirement_age": 67},
    "income_streams": [
        {"kind": "social_security", "annual_amount": 30000, "start_age": 67},
        {"kind": "social_security", "owner": "partner", "annual_amount": 22000,
         "start_age": 70},
        {"kind": "pension", "annual_amount": 12000, "start_age": 65,
         "inflation_adjusted": False, "cola": 0.01}],
    "goals": [
        {"name": "Retirement", "kind": "income", "amount": 90000, "target_year": 2049,
         "duration_years": 30, "priority": "essential", "annual_contribution": 20000},
        {"name": "College", "amount": 120000, "target_year": 2036, "priority": "important"},
        {"name": "Boat", "amount": 40000, "target_year": 2030, "priority": "aspirational"}],
}


def _client(c, a) -> int:
    r = c.post("/api/v1/clients", headers=a, json={"name": "The Lees", "profile": HOUSEHOLD})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _audit(c, a) -> list[dict]:
    return c.get("/api/v1/audit", headers=a, params={"limit": 100}).json()["items"]


def test_household_profile_round_trips(client) -> None:
    a = sign_up(client, "h1@x.example")
    cid = _client(client, a)
    data = client.get(f"/api/v1/clients/{cid}/profile", headers=a).json()["data"]
    assert data["partner"]["name"] == "Alex" and len(data["income_streams"]) == 3
    assert [g["name"] for g in data["goals"]] == ["Retirement", "College", "Boat"]
    goals = client.get(f"/api/v1/clients/{cid}/goals", headers=a).json()
    assert goals["version"] == 1 and len(goals["goals"]) == 3


def test_invalid_household_fields_are_named(client) -> None:
    a = sign_up(client, "h2@x.example")
    bad = {**HOUSEHOLD, "partner": {"age": 12},
           "income_streams": [{"kind": "social_security", "annual_amount": 1000,
                               "start_age": 60}]}
    r = client.post("/api/v1/clients", headers=a, json={"name": "X", "profile": bad})
    assert r.status_code == 422
    fields = {i["field"] for i in r.json()["issues"]}
    assert {"profile.partner.age", "profile.income_streams[0].start_age"} <= fields


def test_goal_add_edit_delete_with_versions_and_audit(client) -> None:
    a = sign_up(client, "h3@x.example")
    cid = _client(client, a)
    r = client.post(f"/api/v1/clients/{cid}/goals", headers=a, json={
        "goal": {"name": "Wedding", "amount": 30000, "target_year": 2028}})
    assert r.status_code == 201 and r.json()["version"] == 2
    r = client.patch(f"/api/v1/clients/{cid}/goals/1", headers=a,
                     json={"changes": {"amount": 150000}, "base_version": 2})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["goals"][1] == {**HOUSEHOLD["goals"][1], "amount": 150000.0,
                                            **{k: v for k, v in r.json()["data"]["goals"][1]
                                               .items() if k not in ("name", "amount",
                                                                     "target_year",
                                                                     "priority")}}
    stale = client.patch(f"/api/v1/clients/{cid}/goals/1", headers=a,
                         json={"changes": {"amount": 1}, "base_version": 2})
    assert stale.status_code == 409
    bad = client.patch(f"/api/v1/clients/{cid}/goals/1", headers=a,
                       json={"changes": {"amount": -5}})
    assert bad.status_code == 422 and bad.json()["issues"][0]["field"] == "goal.amount"
    assert client.patch(f"/api/v1/clients/{cid}/goals/9", headers=a,
                        json={"changes": {"amount": 1}}).status_code == 404
    r = client.delete(f"/api/v1/clients/{cid}/goals/3", headers=a)
    assert r.status_code == 200 and [g["name"] for g in r.json()["data"]["goals"]] == [
        "Retirement", "College", "Boat"]
    # the old versions are kept
    v1 = client.get(f"/api/v1/clients/{cid}/profile/versions/1", headers=a).json()
    assert v1["data"]["goals"][1]["amount"] == 120000
    log = _audit(client, a)
    upd = next(e for e in log if e["entity"] == "goal" and e["action"] == "update")
    assert upd["advisor_id"] is not None and upd["entity_id"] == 1
    assert upd["detail"]["before"]["amount"] == 120000
    assert upd["detail"]["after"]["amount"] == 150000
    dele = next(e for e in log if e["entity"] == "goal" and e["action"] == "delete")
    assert dele["detail"]["before"]["name"] == "Wedding"


def test_the_last_goal_cannot_be_deleted(client) -> None:
    a = sign_up(client, "h4@x.example")
    r = client.post("/api/v1/clients", headers=a, json={"name": "Solo", "profile": PROFILE})
    cid = r.json()["id"]
    r = client.delete(f"/api/v1/clients/{cid}/goals/0", headers=a)
    assert r.status_code == 409 and r.json()["field"] == "goal_index"


def test_lot_edit_and_delete_are_audited(client) -> None:
    a = sign_up(client, "h5@x.example")
    cid = _client(client, a)
    acct = client.post(f"/api/v1/clients/{cid}/accounts", headers=a, json=ACCOUNT).json()
    lot = acct["lots"][0]
    url = f"/api/v1/clients/{cid}/accounts/{acct['id']}/lots/{lot['id']}"
    r = client.patch(url, headers=a, json={"quantity": 250, "acquired": "2019-09-01"})
    assert r.status_code == 200 and r.json()["quantity"] == 250
    assert r.json()["acquired"] == "2019-09-01"
    assert client.patch(url, headers=a, json={"acquired": "2999-01-01"}).status_code == 422
    assert client.patch(url, headers=a, json={"asset": "NOPE"}).status_code == 422
    assert client.delete(url, headers=a).status_code == 204
    assert client.delete(url, headers=a).status_code == 404
    log = _audit(client, a)
    upd = next(e for e in log if e["entity"] == "lot" and e["action"] == "update")
    assert upd["detail"]["before"]["quantity"] == 300 and upd["detail"]["after"][
        "quantity"] == 250
    dele = next(e for e in log if e["entity"] == "lot" and e["action"] == "delete")
    assert dele["detail"]["before"]["asset"] == "VTI"
    r = client.patch(f"/api/v1/clients/{cid}/accounts/{acct['id']}", headers=a,
                     json={"annual_contribution": 7000})
    assert r.status_code == 200
    acc_log = next(e for e in _audit(client, a) if e["entity"] == "account"
                   and e["action"] == "update")
    assert acc_log["detail"]["before"]["annual_contribution"] == 0
    assert acc_log["detail"]["after"]["annual_contribution"] == 7000


def test_deleting_a_client_is_soft_and_audited(client) -> None:
    a = sign_up(client, "h6@x.example")
    cid = _client(client, a)
    client.post(f"/api/v1/clients/{cid}/accounts", headers=a, json=ACCOUNT)
    assert client.delete(f"/api/v1/clients/{cid}", headers=a).status_code == 204
    assert client.get(f"/api/v1/clients/{cid}", headers=a).status_code == 404
    assert client.get(f"/api/v1/clients/{cid}/plans", headers=a).status_code == 404
    assert client.delete(f"/api/v1/clients/{cid}", headers=a).status_code == 404
    assert cid not in [c["id"] for c in client.get("/api/v1/clients", headers=a).json()[
        "items"]]
    entry = next(e for e in _audit(client, a) if e["entity"] == "client"
                 and e["action"] == "delete")
    assert entry["entity_id"] == cid and entry["detail"]["soft"] is True
    assert entry["detail"]["before"] == {"name": "The Lees", "profile_version": 1,
                                         "goals": 3, "accounts": 1, "plans": 0}
    # the history is still in the database
    from tailorfolio.service._models import Client, ProfileVersion

    with client.app.state.sessions() as db:
        row = db.get(Client, cid)
        assert row.deleted_at is not None and row.deleted_by is not None
        assert db.query(ProfileVersion).filter_by(client_id=cid).count() == 1


def test_another_firm_cannot_edit_or_delete(client) -> None:
    a = sign_up(client, "h7@x.example", firm="A")
    b = sign_up(client, "h8@x.example", firm="B")
    cid = _client(client, a)
    assert client.delete(f"/api/v1/clients/{cid}", headers=b).status_code == 404
    assert client.patch(f"/api/v1/clients/{cid}/goals/0", headers=b,
                        json={"changes": {"amount": 1}}).status_code == 404
    assert client.delete(f"/api/v1/clients/{cid}/goals/0", headers=b).status_code == 404


def test_a_plan_of_a_household_with_social_security(client) -> None:
    a = sign_up(client, "h9@x.example")
    cid = _client(client, a)
    client.post(f"/api/v1/clients/{cid}/accounts", headers=a, json=ACCOUNT)
    plan = make_plan(client, a, cid)
    assert plan["inputs"]["profile"]["partner"]["name"] == "Alex"
    assert len(plan["inputs"]["profile"]["income_streams"]) == 3


# ------------------------------------------------------------------ the browser forms (no JS)

def _form(token: str, **over) -> dict:
    from tailorfolio.profile import QUESTIONS

    data = {"csrf_token": token, "client_name": "Kim & Ali", "age": "45",
            "annual_income": "110000", "filing_status": "married_joint",
            "partner_name": "Ali", "partner_age": "43", "partner_annual_income": "70000",
            "partner_retirement_age": "67",
            "goal_name": ["Retirement", "College", "Car"],
            "goal_amount": ["80000", "90000", "30000"],
            "goal_target_year": ["2045", "2034", "2028"],
            "goal_kind": ["income", "lump_sum", "lump_sum"],
            "goal_duration_years": ["30", "", ""],
            "goal_priority": ["essential", "important", "aspirational"],
            "goal_current_savings": ["", "", ""],
            "goal_annual_contribution": ["15000", "5000", ""],
            "stream_kind": ["social_security", "pension"],
            "stream_owner": ["primary", "partner"],
            "stream_annual_amount": ["32000", "10000"],
            "stream_start_age": ["67", "65"], "stream_end_age": ["", ""],
            "stream_inflation_adjusted": ["true", "false"], "stream_cola": ["", "0.01"]}
    data.update({f"q_{q.key}": q.option_keys[2] for q in QUESTIONS})
    data.update(over)
    return data


def _ui(client, email: str) -> str:
    from .test_ui import csrf, ui_sign_in

    sign_up(client, email)
    ui_sign_in(client, email)
    return csrf(client.get("/clients/new").text)


def test_household_form_creates_two_people_three_goals_and_streams(client) -> None:
    import re

    token = _ui(client, "ui1@x.example")
    r = client.post("/clients/new", data=_form(token), follow_redirects=False)
    assert r.status_code == 303, r.text
    loc = r.headers["location"]
    cid = int(loc.rsplit("/", 1)[1])
    a = sign_in(client, "ui1@x.example")
    data = client.get(f"/api/v1/clients/{cid}/profile", headers=a).json()["data"]
    assert data["partner"] == {"name": "Ali", "age": 43, "annual_income": 70000.0,
                               "retirement_age": 67}
    assert [g["name"] for g in data["goals"]] == ["Retirement", "College", "Car"]
    assert data["goals"][0]["annual_contribution"] == 15000
    assert data["income_streams"][1] == {"kind": "pension", "owner": "partner",
                                         "annual_amount": 10000.0, "start_age": 65,
                                         "inflation_adjusted": False, "cola": 0.01}
    page = client.get(loc).text
    assert "Ali" in page and "social security" in page and "College" in page
    # the edit form shows every goal and stream (nothing hidden, nothing lost on save)
    form = client.get(loc + "/profile").text
    assert form.count('name="goal_name"') == 3 + 1  # three rows and the JS row template
    assert 'id="f-goal_name-3"' in form and 'value="Car"' in form
    assert form.count('name="stream_kind"') == 2 + 1
    edit = _form(token, base_version="1", goal_amount=["80000", "95000", "30000"])
    del edit["client_name"]
    assert client.post(loc + "/profile", data=edit, follow_redirects=False).status_code == 303
    data = client.get(f"/api/v1/clients/{cid}/profile", headers=a).json()["data"]
    assert data["goals"][1]["amount"] == 95000 and len(data["income_streams"]) == 2
    entry = next(e for e in client.get("/api/v1/audit", headers=a).json()["items"]
                 if e["entity"] == "profile")
    assert entry["detail"]["changed"] == ["goals"]
    assert entry["detail"]["before"] == {"goals[1].amount": 90000.0}
    assert entry["detail"]["after"] == {"goals[1].amount": 95000.0}


def test_household_form_errors_sit_next_to_their_row(client) -> None:
    import re

    token = _ui(client, "ui2@x.example")
    bad = _form(token, goal_amount=["80000", "-5", "30000"], stream_start_age=["60", "65"],
                partner_age="12")
    r = client.post("/clients/new", data=bad)
    assert r.status_code == 422
    assert re.search(r'id="f-goal_amount-2"[^>]*aria-invalid="true"', r.text)
    assert re.search(r'id="e-goal_amount-2"[^>]*>Input should be greater than 0', r.text)
    assert re.search(r'id="e-stream_start_age"[^>]*>60 is not a Social Security claiming',
                     r.text)
    assert re.search(r'id="e-partner_age"[^>]*>Input should be greater than or equal to 18',
                     r.text)
    assert 'id="e-goal_amount"' not in r.text  # the first goal is fine
    assert 'value="-5"' in r.text and 'value="Car"' in r.text  # what was typed is kept


def test_add_and_remove_rows_without_javascript(client) -> None:
    token = _ui(client, "ui3@x.example")
    r = client.post("/clients/new", data=_form(token, action="add_goal"))
    assert r.status_code == 200 and r.text.count('name="goal_name"') == 4 + 1
    assert 'id="f-goal_name-4"' in r.text and "Goal 4</legend>" in r.text
    r = client.post("/clients/new", data=_form(token, action="remove_goal_1"))
    assert r.status_code == 200 and r.text.count('name="goal_name"') == 2 + 1
    assert 'value="College"' not in r.text and 'value="Car"' in r.text
    r = client.post("/clients/new", data=_form(token, action="add_stream"))
    assert r.text.count('name="stream_kind"') == 3 + 1
    # a blank row is ignored on save
    r = client.post("/clients/new", data=_form(token, goal_name=["Retirement", "College",
                                                                 "Car", ""]),
                    follow_redirects=False)
    assert r.status_code == 303


def test_goal_lot_and_client_pages_edit_and_delete(client) -> None:
    import re

    token = _ui(client, "ui4@x.example")
    loc = client.post("/clients/new", data=_form(token), follow_redirects=False
                      ).headers["location"]
    page = client.get(loc + "/goals/1").text
    assert 'value="College"' in page and 'name="base_version" value="1"' in page
    r = client.post(loc + "/goals/1", data={
        "csrf_token": token, "base_version": "1", "goal_name": "College", "goal_amount": "-1",
        "goal_target_year": "2034", "goal_kind": "lump_sum", "goal_priority": "important"})
    assert r.status_code == 422 and re.search(r'id="e-goal_amount"[^>]*>Input should be', r.text)
    r = client.post(loc + "/goals/1", data={
        "csrf_token": token, "base_version": "1", "goal_name": "College fund",
        "goal_amount": "100000", "goal_target_year": "2035", "goal_kind": "lump_sum",
        "goal_priority": "important"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(loc).text
    assert "College fund" in page and "Profile version 2" in page
    r = client.post(loc + "/goals/2/delete", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and "Car" not in client.get(loc).text.split('id="accounts"')[0]
    assert client.get(loc + "/goals/40").status_code == 404
    # accounts and lots
    client.post(loc + "/accounts", data={"csrf_token": token, "account_name": "Joint",
                                         "account_type": "taxable", "account_cash": "1000"})
    aid = re.search(r'id="account-(\d+)"', client.get(loc).text).group(1)
    client.post(f"{loc}/accounts/{aid}/lots", data={
        "csrf_token": token, "asset": "VTI", "quantity": "10", "cost_basis_per_share": "200",
        "acquired": "2021-01-04"})
    lid = re.search(rf'/accounts/{aid}/lots/(\d+)"', client.get(loc).text).group(1)
    r = client.post(f"{loc}/accounts/{aid}/lots/{lid}", data={
        "csrf_token": token, "asset": "VTI", "quantity": "12", "cost_basis_per_share": "200",
        "acquired": "2999-01-01"})
    assert r.status_code == 422 and 'id="e-acquired"' in r.text
    r = client.post(f"{loc}/accounts/{aid}/lots/{lid}", data={
        "csrf_token": token, "asset": "VTI", "quantity": "12", "cost_basis_per_share": "200",
        "acquired": "2021-01-04"}, follow_redirects=False)
    assert r.status_code == 303 and ">12.0<" in client.get(loc).text
    r = client.post(f"{loc}/accounts/{aid}/lots/{lid}/delete", data={"csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303 and "No holdings yet." in client.get(loc).text
    r = client.post(f"{loc}/accounts/{aid}/edit", data={
        "csrf_token": token, "account_name": "Joint brokerage", "account_type": "taxable",
        "account_cash": "500", "account_annual_contribution": "6000"}, follow_redirects=False)
    assert r.status_code == 303 and "Joint brokerage" in client.get(loc).text
    r = client.post(f"{loc}/accounts/{aid}/delete", data={"csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303 and 'id="account-' not in client.get(loc).text
    # the client: a confirmation page, then a soft delete
    assert "Nothing is erased" in client.get(loc + "/delete").text
    r = client.post(loc + "/delete", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/clients"
    assert client.get(loc).status_code == 404
    # without the form token nothing is deleted
    loc2 = client.post("/clients/new", data=_form(token), follow_redirects=False
                       ).headers["location"]
    assert client.post(loc2 + "/delete", data={}).status_code == 403
    assert client.get(loc2).status_code == 200


def _form_fields(html: str) -> list[tuple[str, str]]:
    """What a browser submits for the page's household form as rendered (no button pressed):
    inputs with their values, checked radios, selected options; the row template excluded."""
    from html.parser import HTMLParser

    class Fields(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.out: list[tuple[str, str]] = []
            self.in_template = 0
            self.select: str | None = None
            self.first: tuple[str, str] | None = None
            self.chosen = False

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "template":
                self.in_template += 1
            if self.in_template:
                return
            if tag == "input" and a.get("name"):
                if a.get("type") == "radio" and "checked" not in a:
                    return
                self.out.append((a["name"], a.get("value") or ""))
            elif tag == "select":
                self.select, self.first, self.chosen = a["name"], None, False
            elif tag == "option" and self.select:
                if self.first is None:
                    self.first = (self.select, a["value"])
                if "selected" in a:
                    self.out.append((self.select, a["value"]))
                    self.chosen = True

        def handle_endtag(self, tag):
            if tag == "template":
                self.in_template -= 1
            elif tag == "select" and self.select and not self.in_template:
                if not self.chosen and self.first:
                    self.out.append(self.first)
                self.select = None

    p = Fields()
    p.feed(html.split('id="household-form"', 1)[1].split("</form>", 1)[0])
    return p.out


def test_saving_the_edit_form_unchanged_keeps_every_fact(client) -> None:
    token = _ui(client, "ui5@x.example")
    a = sign_in(client, "ui5@x.example")
    facts = {**HOUSEHOLD, "goals": [
        {**HOUSEHOLD["goals"][0], "contribution_growth": 0.02},
        {"name": "Gap year", "amount": 20000, "years": 6, "inflation_adjusted": False}],
        "income_streams": [{**HOUSEHOLD["income_streams"][0], "name": "Kim's SSA"}],
        "preferences": {"max_weight_per_asset": 0.35}}
    cid = client.post("/api/v1/clients", headers=a, json={"name": "Kim", "profile": facts}
                      ).json()["id"]
    before = client.get(f"/api/v1/clients/{cid}/profile", headers=a).json()["data"]
    fields = _form_fields(client.get(f"/clients/{cid}/profile").text)
    assert ("csrf_token", token) in fields
    data: dict[str, list[str]] = {}
    for k, v in fields:
        data.setdefault(k, []).append(v)
    r = client.post(f"/clients/{cid}/profile", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    after = client.get(f"/api/v1/clients/{cid}/profile", headers=a).json()
    assert after["version"] == 2 and after["data"] == before
