"""What the service does, as plain functions over a database session and the signed-in advisor.

The REST routes and the browser forms both call these, so the rules (firm scoping, versioning,
immutability, audit) live in one place. Every function that reads a client goes through
:func:`get_client`, which only finds clients of the advisor's firm that the advisor owns (or,
for a firm admin, any client of the firm); anything else is reported as not found.
"""

from __future__ import annotations

import csv
import io
import threading
import time
from datetime import date, datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tailorfolio._version import __version__
from tailorfolio.errors import DataError, FieldIssue, ProfileValidationError
from tailorfolio.market._defaults import default_market
from tailorfolio.planning._build import build_plan
from tailorfolio.planning._settings import PlanSettings
from tailorfolio.profile._parse import parse_profile
from tailorfolio.service import _security as sec
from tailorfolio.service._errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    TooManyAttemptsError,
)
from tailorfolio.service._models import (
    Account,
    Advisor,
    ApiKey,
    AuditEntry,
    AuthToken,
    Client,
    Firm,
    Lot,
    PlanRecord,
    ProfileVersion,
    utcnow,
)
from tailorfolio.service import _schemas as s

MAX_CSV_ROWS = 5000
CSV_COLUMNS = ("account", "asset", "quantity", "cost_basis_per_share", "acquired")


def _aware(ts: datetime) -> datetime:
    """SQLite returns naive datetimes; everything stored is UTC."""
    return ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)


def audit(db: Session, me: Advisor, action: str, entity: str, entity_id: int | None,
          **detail: Any) -> None:
    """Record who did what (added to the caller's transaction)."""
    db.add(AuditEntry(firm_id=me.firm_id, advisor_id=me.id, action=action, entity=entity,
                      entity_id=entity_id, detail=detail))


def page(db: Session, stmt: sa.Select[Any], limit: int, offset: int) -> tuple[list[Any], int]:
    """Rows ``offset .. offset+limit`` of ``stmt`` and the total count."""
    total = db.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    rows = list(db.scalars(stmt.limit(limit).offset(offset)))
    return rows, int(total or 0)


# ------------------------------------------------------------------ advisors and auth

def _new_advisor(db: Session, firm_id: int, name: str, email: str, password: str,
                 is_admin: bool) -> Advisor:
    email = email.strip().lower()
    if db.scalar(sa.select(Advisor.id).where(Advisor.email == email)) is not None:
        raise ConflictError(f"An advisor with e-mail {email!r} already exists.", field="email",
                            value=email, fix="sign in, or use another e-mail address")
    adv = Advisor(firm_id=firm_id, name=name, email=email, is_admin=is_admin,
                  password_hash=sec.hash_password(password))
    db.add(adv)
    return adv


def signup(db: Session, body: s.SignupCreate) -> Advisor:
    """A new firm and its first advisor (a firm admin)."""
    firm = Firm(name=body.firm_name)
    db.add(firm)
    db.flush()
    adv = _new_advisor(db, firm.id, body.name, body.email, body.password, True)
    db.flush()
    audit(db, adv, "signup", "firm", firm.id, email=adv.email)
    _commit(db, "email", body.email)
    return adv


def create_advisor(db: Session, me: Advisor, body: s.AdvisorCreate) -> Advisor:
    """Another advisor in the signed-in admin's firm."""
    if not me.is_admin:
        raise PermissionDeniedError("Only a firm admin can add advisors.", field="is_admin",
                                    value=False, fix="ask your firm's admin to add the advisor")
    adv = _new_advisor(db, me.firm_id, body.name, body.email, body.password, body.is_admin)
    db.flush()
    audit(db, me, "create", "advisor", adv.id, email=adv.email)
    _commit(db, "email", body.email)
    return adv


def list_advisors(db: Session, me: Advisor, limit: int, offset: int) -> tuple[list[Advisor], int]:
    stmt = sa.select(Advisor).where(Advisor.firm_id == me.firm_id).order_by(Advisor.id)
    return page(db, stmt, limit, offset)


class SignInThrottle:
    """At most ``max_failures`` failed sign-ins per e-mail address in ``window_seconds``
    (per server process; a brake on online password guessing, not a lockout)."""

    def __init__(self, max_failures: int = 10, window_seconds: float = 900.0) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def check(self, email: str) -> None:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._failures.get(email, []) if now - t < self.window]
            self._failures[email] = recent
            if len(recent) >= self.max_failures:
                wait = int(self.window - (now - recent[0])) + 1
                raise TooManyAttemptsError(
                    f"Too many failed sign-ins for this e-mail; try again in {wait} s.",
                    field="email", value=email, fix=f"wait {wait} seconds")

    def failed(self, email: str) -> None:
        with self._lock:
            self._failures.setdefault(email, []).append(time.monotonic())
            if len(self._failures) > 100_000:  # bound memory under a spray of addresses
                self._failures.clear()

    def succeeded(self, email: str) -> None:
        with self._lock:
            self._failures.pop(email, None)


THROTTLE = SignInThrottle()


def authenticate(db: Session, email: str, password: str,
                 throttle: SignInThrottle | None = THROTTLE) -> Advisor:
    """The advisor with these credentials; the same error whether e-mail or password is wrong.

    Raises
    ------
    AuthenticationError, TooManyAttemptsError
    """
    email = email.strip().lower()
    if throttle is not None:
        throttle.check(email)
    adv = db.scalar(sa.select(Advisor).where(Advisor.email == email))
    if adv is None:
        sec.burn_verify_time(password)
    if adv is None or not sec.verify_password(adv.password_hash, password):
        if throttle is not None:
            throttle.failed(email)
        raise AuthenticationError("E-mail or password is wrong.", field="password",
                                  fix="check both and try again")
    if throttle is not None:
        throttle.succeeded(email)
    return adv


def issue_token(db: Session, adv: Advisor, kind: str, minutes: int) -> tuple[str, datetime]:
    """A new session (``kind='session'``) or API token valid for ``minutes``."""
    token = sec.new_token()
    now = utcnow()
    expires = now + timedelta(minutes=minutes)
    db.execute(sa.delete(AuthToken).where(AuthToken.advisor_id == adv.id,
                                          AuthToken.expires_at <= now))
    db.add(AuthToken(advisor_id=adv.id, token_hash=sec.token_hash(token), kind=kind,
                     expires_at=expires))
    audit(db, adv, "sign_in", kind, None)
    db.commit()
    return token, expires


def advisor_for_token(db: Session, token: str, kinds: tuple[str, ...]) -> Advisor | None:
    """The advisor a bearer token, session token or API key belongs to, if valid now."""
    digest = sec.token_hash(token)
    if token.startswith(sec.API_KEY_PREFIX) and "api_key" in kinds:
        key = db.scalar(sa.select(ApiKey).where(ApiKey.key_hash == digest,
                                                ApiKey.revoked_at.is_(None)))
        return db.get(Advisor, key.advisor_id) if key else None
    row = db.scalar(sa.select(AuthToken).where(AuthToken.token_hash == digest,
                                               AuthToken.kind.in_(kinds)))
    if row is None or _aware(row.expires_at) <= utcnow():
        return None
    return db.get(Advisor, row.advisor_id)


def revoke_token(db: Session, me: Advisor, token: str) -> None:
    """End a session or token (sign out)."""
    db.execute(sa.delete(AuthToken).where(AuthToken.token_hash == sec.token_hash(token)))
    audit(db, me, "sign_out", "session", None)
    db.commit()


def create_api_key(db: Session, me: Advisor, body: s.ApiKeyCreate) -> tuple[ApiKey, str]:
    key, prefix = sec.new_api_key()
    row = ApiKey(advisor_id=me.id, name=body.name, prefix=prefix, key_hash=sec.token_hash(key))
    db.add(row)
    db.flush()
    audit(db, me, "create", "api_key", row.id, name=body.name)
    db.commit()
    return row, key


def list_api_keys(db: Session, me: Advisor, limit: int, offset: int) -> tuple[list[ApiKey], int]:
    stmt = sa.select(ApiKey).where(ApiKey.advisor_id == me.id).order_by(ApiKey.id)
    return page(db, stmt, limit, offset)


def revoke_api_key(db: Session, me: Advisor, key_id: int) -> ApiKey:
    row = db.scalar(sa.select(ApiKey).where(ApiKey.id == key_id, ApiKey.advisor_id == me.id))
    if row is None:
        raise NotFoundError(f"No API key {key_id}.", field="key_id", value=key_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit(db, me, "revoke", "api_key", row.id)
        db.commit()
    return row


def list_audit(db: Session, me: Advisor, limit: int, offset: int
               ) -> tuple[list[AuditEntry], int]:
    """Firm admins see their firm's log; other advisors their own actions."""
    stmt = sa.select(AuditEntry).where(AuditEntry.firm_id == me.firm_id)
    if not me.is_admin:
        stmt = stmt.where(AuditEntry.advisor_id == me.id)
    return page(db, stmt.order_by(AuditEntry.id.desc()), limit, offset)


# ------------------------------------------------------------------ clients and profiles

def _scoped_clients(me: Advisor) -> sa.Select[Any]:
    stmt = sa.select(Client).where(Client.firm_id == me.firm_id)
    if not me.is_admin:
        stmt = stmt.where(Client.advisor_id == me.id)
    return stmt


def get_client(db: Session, me: Advisor, client_id: int) -> Client:
    """The client if the advisor may see it; :class:`NotFoundError` otherwise."""
    client = db.scalar(_scoped_clients(me).where(Client.id == client_id))
    if client is None:
        raise NotFoundError(f"No client {client_id} among your clients.", field="client_id",
                            value=client_id, fix="list your clients with GET /api/v1/clients")
    return client


def list_clients(db: Session, me: Advisor, limit: int, offset: int, query: str | None = None
                 ) -> tuple[list[Client], int]:
    stmt = _scoped_clients(me)
    if query:
        stmt = stmt.where(Client.name.ilike(f"%{query}%"))
    return page(db, stmt.order_by(Client.id), limit, offset)


def validate_profile_facts(facts: dict[str, Any], default_name: str) -> dict[str, Any]:
    """The profile facts validated by the library, normalised, without accounts.

    Raises
    ------
    ProfileValidationError
        Each issue's field prefixed with ``profile.``.
    """
    if "accounts" in facts:
        raise ProfileValidationError([FieldIssue(
            "profile.accounts", "(given)", "accounts are not part of the profile facts",
            "add accounts with POST /api/v1/clients/{id}/accounts")])
    data = {"name": default_name, **facts,
            "accounts": [{"name": "__placeholder__", "type": "taxable"}]}
    try:
        prof = parse_profile(data)
    except ProfileValidationError as exc:
        raise ProfileValidationError([FieldIssue(f"profile.{i.field}", i.value, i.message, i.fix)
                                      for i in exc.issues]) from None
    out = prof.model_dump(mode="json", exclude_none=True)
    out.pop("accounts")
    return out


def latest_profile(db: Session, client: Client) -> ProfileVersion:
    row = db.scalar(sa.select(ProfileVersion).where(ProfileVersion.client_id == client.id)
                    .order_by(ProfileVersion.version.desc()).limit(1))
    assert row is not None, "every client is created with profile version 1"
    return row


def create_client(db: Session, me: Advisor, body: s.ClientCreate) -> tuple[Client, int]:
    facts = validate_profile_facts(body.profile, body.name)
    client = Client(firm_id=me.firm_id, advisor_id=me.id, name=body.name)
    db.add(client)
    db.flush()
    db.add(ProfileVersion(client_id=client.id, version=1, data=facts, created_by=me.id))
    audit(db, me, "create", "client", client.id, name=body.name)
    db.commit()
    return client, 1


def update_client(db: Session, me: Advisor, client_id: int, body: s.ClientUpdate) -> Client:
    client = get_client(db, me, client_id)
    client.name = body.name
    client.updated_at = utcnow()
    audit(db, me, "update", "client", client.id, name=body.name)
    db.commit()
    return client


def update_profile(db: Session, me: Advisor, client_id: int, body: s.ProfileUpdate
                   ) -> ProfileVersion:
    """A new profile version on top of ``base_version``; a stale base is a 409, never a lost
    update (the unique (client, version) constraint arbitrates between racing writers)."""
    client = get_client(db, me, client_id)
    facts = validate_profile_facts(body.profile, client.name)
    current = latest_profile(db, client).version
    if body.base_version != current:
        db.rollback()
        raise _stale(body.base_version, current)
    row = ProfileVersion(client_id=client.id, version=current + 1, data=facts, created_by=me.id)
    db.add(row)
    client.updated_at = utcnow()
    audit(db, me, "update", "profile", client.id, version=current + 1)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise _stale(body.base_version, body.base_version + 1) from None
    return row


def _stale(base: int, current: int) -> ConflictError:
    return ConflictError(f"The profile was changed by someone else: version {current} exists "
                         f"and this edit started from version {base}.", field="base_version",
                         value=base, expected=f"{current}",
                         fix="reload the profile, reapply the change and send it again")


def profile_versions(db: Session, me: Advisor, client_id: int, limit: int, offset: int
                     ) -> tuple[list[ProfileVersion], int]:
    client = get_client(db, me, client_id)
    stmt = sa.select(ProfileVersion).where(ProfileVersion.client_id == client.id).order_by(
        ProfileVersion.version.desc())
    return page(db, stmt, limit, offset)


def get_profile_version(db: Session, me: Advisor, client_id: int, version: int
                        ) -> ProfileVersion:
    client = get_client(db, me, client_id)
    row = db.scalar(sa.select(ProfileVersion).where(ProfileVersion.client_id == client.id,
                                                    ProfileVersion.version == version))
    if row is None:
        raise NotFoundError(f"Client {client_id} has no profile version {version}.",
                            field="version", value=version)
    return row


# ------------------------------------------------------------------ accounts and lots

def _check_asset(asset: str, field: str) -> str:
    ticker = asset.strip().upper()
    universe = default_market().universe
    if ticker not in universe.tickers:
        raise DataError(f"Unknown asset {ticker!r}.", field=field, value=ticker,
                        expected=f"one of {universe.tickers}",
                        fix="use a ticker of the default market's universe")
    return ticker


def get_account(db: Session, me: Advisor, client_id: int, account_id: int) -> Account:
    client = get_client(db, me, client_id)
    acct = db.scalar(sa.select(Account).where(Account.id == account_id,
                                              Account.client_id == client.id))
    if acct is None:
        raise NotFoundError(f"Client {client_id} has no account {account_id}.",
                            field="account_id", value=account_id)
    return acct


def list_accounts(db: Session, me: Advisor, client_id: int, limit: int, offset: int
                  ) -> tuple[list[Account], int]:
    client = get_client(db, me, client_id)
    stmt = sa.select(Account).where(Account.client_id == client.id).order_by(Account.id)
    return page(db, stmt, limit, offset)


def _commit(db: Session, field: str, value: Any) -> None:
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise ConflictError(f"{field} {value!r} is already in use.", field=field, value=value,
                            fix="choose another name") from None


def create_account(db: Session, me: Advisor, client_id: int, body: s.AccountCreate) -> Account:
    client = get_client(db, me, client_id)
    _name_free(db, client.id, body.name)
    acct = Account(client_id=client.id, name=body.name, type=body.type.value, cash=body.cash,
                   annual_contribution=body.annual_contribution)
    for i, lot in enumerate(body.lots):
        acct.lots.append(Lot(asset=_check_asset(lot.asset, f"lots[{i}].asset"),
                             quantity=lot.quantity, cost_basis_per_share=lot.cost_basis_per_share,
                             acquired=lot.acquired))
    db.add(acct)
    db.flush()
    audit(db, me, "create", "account", acct.id, client_id=client.id, name=body.name)
    _commit(db, "name", body.name)
    return acct


def _name_free(db: Session, client_id: int, name: str) -> bool:
    taken = db.scalar(sa.select(Account.id).where(Account.client_id == client_id,
                                                  Account.name == name))
    if taken is not None:
        db.rollback()
        raise ConflictError(f"This client already has an account named {name!r}.",
                            field="name", value=name, fix="choose another account name")
    return True


def update_account(db: Session, me: Advisor, client_id: int, account_id: int,
                   body: s.AccountUpdate) -> Account:
    acct = get_account(db, me, client_id, account_id)
    changes = body.model_dump(exclude_unset=True, exclude_none=True, mode="json")
    if "name" in changes and changes["name"] != acct.name:
        _name_free(db, acct.client_id, changes["name"])
    for k, v in changes.items():
        setattr(acct, k, v)
    audit(db, me, "update", "account", acct.id, **changes)
    _commit(db, "name", acct.name)
    return acct


def delete_account(db: Session, me: Advisor, client_id: int, account_id: int) -> None:
    acct = get_account(db, me, client_id, account_id)
    db.delete(acct)
    audit(db, me, "delete", "account", account_id, name=acct.name)
    db.commit()


def add_lot(db: Session, me: Advisor, client_id: int, account_id: int, body: s.LotCreate) -> Lot:
    acct = get_account(db, me, client_id, account_id)
    lot = Lot(asset=_check_asset(body.asset, "asset"), quantity=body.quantity,
              cost_basis_per_share=body.cost_basis_per_share, acquired=body.acquired)
    acct.lots.append(lot)
    db.flush()
    audit(db, me, "create", "lot", lot.id, account_id=acct.id, asset=lot.asset)
    db.commit()
    return lot


def delete_lot(db: Session, me: Advisor, client_id: int, account_id: int, lot_id: int) -> None:
    acct = get_account(db, me, client_id, account_id)
    lot = db.scalar(sa.select(Lot).where(Lot.id == lot_id, Lot.account_id == acct.id))
    if lot is None:
        raise NotFoundError(f"Account {account_id} has no lot {lot_id}.", field="lot_id",
                            value=lot_id)
    db.delete(lot)
    audit(db, me, "delete", "lot", lot_id, account_id=acct.id)
    db.commit()


def parse_lots_csv(raw: bytes, max_bytes: int) -> list[s.LotCreate]:
    """Lots from CSV text with columns ``asset, quantity, cost_basis_per_share, acquired``.

    Raises
    ------
    PayloadTooLargeError, DataError
        Naming the row and column at fault.
    """
    if len(raw) > max_bytes:
        raise PayloadTooLargeError(f"The upload has {len(raw)} bytes; at most {max_bytes} are "
                                   "accepted.", field="file", value=len(raw),
                                   expected=f"<= {max_bytes} bytes",
                                   fix="split the file into smaller uploads")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError("The upload is not UTF-8 text.", field="file",
                        fix="save the file as CSV (UTF-8)") from None
    reader = csv.DictReader(io.StringIO(text))
    need = {"asset", "quantity", "cost_basis_per_share", "acquired"}
    header = {h.strip().lower() for h in reader.fieldnames or []}
    if not need <= header:
        raise DataError(f"The CSV lacks column(s) {sorted(need - header)}.", field="file",
                        value=sorted(header), expected=f"columns {sorted(need)}",
                        fix="add a header row: asset,quantity,cost_basis_per_share,acquired")
    out = []
    for n, row in enumerate(reader, start=2):
        if n - 1 > MAX_CSV_ROWS:
            raise PayloadTooLargeError(f"The CSV has more than {MAX_CSV_ROWS} rows.",
                                       field="file", fix="split the file")
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        if not any(row.values()):
            continue
        try:
            out.append(s.LotCreate(asset=row["asset"], quantity=float(row["quantity"]),
                                   cost_basis_per_share=float(row["cost_basis_per_share"]),
                                   acquired=date.fromisoformat(row["acquired"])))
        except Exception as exc:  # pydantic or float/date parsing: name the line
            raise DataError(f"CSV line {n} is invalid: {str(exc).splitlines()[0]}",
                            field=f"file line {n}", value=row,
                            expected="asset,quantity>0,cost_basis_per_share>=0,YYYY-MM-DD",
                            fix="correct that line") from None
    if not out:
        raise DataError("The CSV has no lots.", field="file", fix="add at least one row")
    return out


def upload_lots(db: Session, me: Advisor, client_id: int, account_id: int, raw: bytes,
                max_bytes: int) -> list[Lot]:
    """Add every lot of a CSV upload, all or nothing."""
    acct = get_account(db, me, client_id, account_id)
    lots = parse_lots_csv(raw, max_bytes)
    rows = [Lot(asset=_check_asset(lot.asset, f"file line {i + 2}.asset"),
                quantity=lot.quantity, cost_basis_per_share=lot.cost_basis_per_share,
                acquired=lot.acquired) for i, lot in enumerate(lots)]
    acct.lots.extend(rows)
    db.flush()
    audit(db, me, "upload", "lots", acct.id, count=len(rows))
    db.commit()
    return rows


# ------------------------------------------------------------------ plans

def profile_inputs(db: Session, client: Client) -> tuple[dict[str, Any], int]:
    """The complete profile (facts + accounts + lots) as plain data, and its facts version."""
    version = latest_profile(db, client)
    accounts = db.scalars(sa.select(Account).where(Account.client_id == client.id)
                          .order_by(Account.id)).all()
    data = dict(version.data)
    data["accounts"] = [
        {"name": a.name, "type": a.type, "cash": a.cash,
         "annual_contribution": a.annual_contribution,
         "lots": [{"asset": lot.asset, "quantity": lot.quantity,
                   "cost_basis_per_share": lot.cost_basis_per_share,
                   "acquired": lot.acquired.isoformat()} for lot in a.lots]}
        for a in accounts]
    return data, version.version


def assumptions_record(market: Any) -> dict[str, Any]:
    a = market.assumptions
    return {"name": a.name, "expected_return": {k: float(v) for k, v in a.expected_return.items()},
            "volatility": {k: float(v) for k, v in a.volatility.items()},
            "correlation": {"tickers": list(a.correlation.index),
                            "matrix": a.correlation.to_numpy().round(12).tolist()},
            "risk_free_rate": a.risk_free_rate, "inflation": a.inflation,
            "inflation_volatility": a.inflation_volatility, "sources": dict(a.sources),
            "last_prices": dict(market.last_prices)}


def run_plan(db: Session, me: Advisor, client_id: int, body: s.PlanCreate,
             goal_paths: int | None = None) -> PlanRecord:
    """Make a plan from the client's current profile and accounts and store it with provenance.

    The inputs are read in one short transaction, the plan is computed outside any
    transaction, and the plan and its audit entry are written in one transaction: a plan row
    is either complete or absent.
    """
    from tailorfolio.report import report_data

    client = get_client(db, me, client_id)
    inputs, version = profile_inputs(db, client)
    db.rollback()  # release the read transaction while the optimizer runs
    profile = parse_profile(inputs)
    market = default_market()
    settings = PlanSettings(objective=body.objective) if goal_paths is None else \
        PlanSettings(objective=body.objective, goal_paths=goal_paths)
    plan = build_plan(profile, market, settings=settings, as_of=body.as_of)
    report = report_data(plan, profile, market, settings=settings)
    equity = sum(line.weight for line in plan.allocation if line.broad_class == "equity")
    row = PlanRecord(
        client_id=client.id, profile_version=version, created_by=me.id,
        library_version=__version__, input_hash=plan.provenance.input_hash,
        inputs={"profile": inputs, "settings": settings.model_dump(mode="json"),
                "as_of": plan.provenance.as_of, "market": "default"},
        assumptions=assumptions_record(market), report=report,
        risk_level=plan.risk.level, expected_return=plan.expected_return,
        volatility=plan.volatility, sharpe=plan.sharpe, equity_share=float(equity),
        investable_wealth=plan.investable_wealth)
    db.add(row)
    db.flush()
    audit(db, me, "create", "plan", row.id, client_id=client.id, profile_version=version,
          input_hash=row.input_hash)
    db.commit()
    return row


def list_plans(db: Session, me: Advisor, client_id: int, limit: int, offset: int
               ) -> tuple[list[PlanRecord], int]:
    client = get_client(db, me, client_id)
    stmt = sa.select(PlanRecord).where(PlanRecord.client_id == client.id).order_by(
        PlanRecord.id.desc())
    return page(db, stmt, limit, offset)


def get_plan(db: Session, me: Advisor, client_id: int, plan_id: int) -> PlanRecord:
    client = get_client(db, me, client_id)
    row = db.scalar(sa.select(PlanRecord).where(PlanRecord.id == plan_id,
                                                PlanRecord.client_id == client.id))
    if row is None:
        raise NotFoundError(f"Client {client_id} has no plan {plan_id}.", field="plan_id",
                            value=plan_id)
    return row


def plan_read(row: PlanRecord) -> s.PlanRead:
    summary = s.PlanSummary.model_validate(row).model_dump()
    return s.PlanRead(**summary, inputs=row.inputs, assumptions=row.assumptions,
                      plan=row.report["plan"], frontier=row.report.get("frontier"))


def client_read(db: Session, client: Client) -> s.ClientRead:
    return s.ClientRead(id=client.id, name=client.name, advisor_id=client.advisor_id,
                        created_at=client.created_at, updated_at=client.updated_at,
                        profile_version=latest_profile(db, client).version)
