"""What the service does, as plain functions over a database session and the signed-in advisor.

The REST routes and the browser forms both call these, so the rules (firm scoping, versioning,
immutability, audit) live in one place. Every function that reads a client goes through
:func:`get_client`, which only finds clients of the advisor's firm that the advisor owns (or,
for a firm admin, any client of the firm); anything else is reported as not found.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tailorfolio._version import __version__
from tailorfolio.errors import DataError, FieldIssue, ProfileValidationError
from tailorfolio.market._defaults import default_market
from tailorfolio.profile._parse import parse_profile
from tailorfolio.service import _config as limits
from tailorfolio.service import _security as sec
from tailorfolio.service._errors import (
    AuthenticationError,
    ConflictError,
    LimitError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    TooManyAttemptsError,
)
from tailorfolio.service._jobs import JobRunner, JobSpec
from tailorfolio.service._models import (
    Account,
    Advisor,
    ApiKey,
    AuditEntry,
    AuthToken,
    Client,
    Firm,
    Lot,
    PlanJob,
    PlanRecord,
    ProfileVersion,
    SignInThrottle,
    utcnow,
)
from tailorfolio.service import _schemas as s

MAX_CSV_ROWS = limits.MAX_LOTS_PER_ACCOUNT
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

def _normal_email(email: str) -> str:
    return email.strip().lower()


def signup(db: Session, body: s.SignupCreate, reveal: bool = False) -> Advisor | None:
    """A new firm and its first advisor (a firm admin), or ``None`` if the e-mail is taken.

    Both outcomes do the same work (the password is hashed either way) and the routes give the
    same answer, so sign-up is not an oracle for which e-mail addresses have accounts.
    ``reveal=True`` (the operator's command line) raises :class:`ConflictError` instead.
    """
    email = _normal_email(body.email)
    password_hash = sec.hash_password(body.password)
    if db.scalar(sa.select(Advisor.id).where(Advisor.email == email)) is not None:
        db.rollback()
        if reveal:
            raise ConflictError(f"An advisor with e-mail {email!r} already exists.",
                                field="email", value=email, fix="use another e-mail address")
        return None
    firm = Firm(name=body.firm_name)
    db.add(firm)
    db.flush()
    adv = Advisor(firm_id=firm.id, name=body.name, email=email, is_admin=True,
                  password_hash=password_hash)
    db.add(adv)
    db.flush()
    audit(db, adv, "signup", "firm", firm.id, email=adv.email)
    try:
        db.commit()
    except IntegrityError:  # the same e-mail signed up at the same moment
        db.rollback()
        return None
    return adv


def create_advisor(db: Session, me: Advisor, body: s.AdvisorCreate) -> Advisor | None:
    """Another advisor in the signed-in admin's firm; ``None`` if the e-mail is taken by
    another firm (the route answers the same as on success: no cross-firm oracle).

    Raises
    ------
    PermissionDeniedError
        The caller is not a firm admin.
    ConflictError
        The e-mail already belongs to an advisor of the caller's own firm (whom the admin can
        list anyway).
    """
    if not me.is_admin:
        raise PermissionDeniedError("Only a firm admin can add advisors.", field="is_admin",
                                    value=False, fix="ask your firm's admin to add the advisor")
    email = _normal_email(body.email)
    password_hash = sec.hash_password(body.password)
    owner = db.scalar(sa.select(Advisor.firm_id).where(Advisor.email == email))
    if owner == me.firm_id:
        db.rollback()
        raise ConflictError(f"Your firm already has an advisor with e-mail {email!r}.",
                            field="email", value=email, fix="list your firm's advisors")
    if owner is not None:
        audit(db, me, "create_refused", "advisor", None)
        db.commit()
        return None
    adv = Advisor(firm_id=me.firm_id, name=body.name, email=email, is_admin=body.is_admin,
                  password_hash=password_hash)
    db.add(adv)
    db.flush()
    audit(db, me, "create", "advisor", adv.id, email=adv.email)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        return None
    return adv


def list_advisors(db: Session, me: Advisor, limit: int, offset: int) -> tuple[list[Advisor], int]:
    stmt = sa.select(Advisor).where(Advisor.firm_id == me.firm_id).order_by(Advisor.id)
    return page(db, stmt, limit, offset)


def _firm_advisor(db: Session, me: Advisor, advisor_id: int, admin_only: bool) -> Advisor:
    """An advisor of the caller's firm the caller may manage (an admin: anyone; else self)."""
    adv = db.scalar(sa.select(Advisor).where(Advisor.id == advisor_id,
                                             Advisor.firm_id == me.firm_id))
    if adv is None:
        raise NotFoundError(f"No advisor {advisor_id} in your firm.", field="advisor_id",
                            value=advisor_id, fix="list your firm's advisors")
    if not me.is_admin and (admin_only or adv.id != me.id):
        raise PermissionDeniedError("Only a firm admin can manage other advisors.",
                                    field="is_admin", value=False,
                                    fix="ask your firm's admin")
    return adv


def revoke_sessions(db: Session, me: Advisor, advisor_id: int) -> int:
    """End every sign-in session and bearer token of an advisor of the firm (not API keys)."""
    adv = _firm_advisor(db, me, advisor_id, admin_only=False)
    n = db.execute(sa.delete(AuthToken).where(AuthToken.advisor_id == adv.id)).rowcount
    audit(db, me, "revoke_sessions", "advisor", adv.id, count=int(n or 0))
    db.commit()
    return int(n or 0)


def list_advisor_api_keys(db: Session, me: Advisor, advisor_id: int, limit: int,
                          offset: int) -> tuple[list[ApiKey], int]:
    adv = _firm_advisor(db, me, advisor_id, admin_only=False)
    return list_api_keys(db, adv, limit, offset)


def revoke_advisor_api_key(db: Session, me: Advisor, advisor_id: int, key_id: int) -> ApiKey:
    adv = _firm_advisor(db, me, advisor_id, admin_only=False)
    row = db.scalar(sa.select(ApiKey).where(ApiKey.id == key_id, ApiKey.advisor_id == adv.id))
    if row is None:
        raise NotFoundError(f"Advisor {advisor_id} has no API key {key_id}.", field="key_id",
                            value=key_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit(db, me, "revoke", "api_key", row.id, advisor_id=adv.id)
        db.commit()
    return row


def update_advisor(db: Session, me: Advisor, advisor_id: int, body: s.AdvisorUpdate) -> Advisor:
    """Deactivate (or reactivate) an advisor of the admin's firm, or change their admin right.

    Deactivating ends the advisor's sessions and tokens and revokes their API keys at once;
    a deactivated advisor cannot sign in (the same answer as a wrong password).
    """
    adv = _firm_advisor(db, me, advisor_id, admin_only=True)
    if adv.id == me.id and (body.is_active is False or body.is_admin is False):
        raise ConflictError("You cannot deactivate yourself or drop your own admin right.",
                            field="is_active" if body.is_active is False else "is_admin",
                            value=False, fix="ask another admin of your firm")
    changes = body.model_dump(exclude_none=True)
    for k, v in changes.items():
        setattr(adv, k, v)
    if body.is_active is False:
        db.execute(sa.delete(AuthToken).where(AuthToken.advisor_id == adv.id))
        db.execute(sa.update(ApiKey).where(ApiKey.advisor_id == adv.id,
                                           ApiKey.revoked_at.is_(None))
                   .values(revoked_at=utcnow()))
    audit(db, me, "update", "advisor", adv.id, **changes)
    db.commit()
    return adv


# ------------------------------------------------------------------ sign-in throttling
#
# Rule: failed sign-ins are counted in the database under two keys, the (e-mail, client
# address) pair and the client address alone. Each key has a number of free failures
# (THROTTLE_FREE); from the last free failure on, each failure doubles a waiting time (1 s,
# 2 s, 4 s, ... capped at THROTTLE_CAP) during which sign-ins under that key are refused with
# 429 and Retry-After, before any password is checked. A key is forgotten THROTTLE_FORGET
# after its last failure; a successful sign-in clears its (e-mail, address) pair. So a guesser
# is slowed on the accounts it tries and, from one address, across all accounts (spraying),
# while the owner signing in from another address is never blocked by it: there is no
# per-e-mail lockout. Sign-ups count under a third key, the address (THROTTLE_FREE["signup"]).

THROTTLE_FREE = {"acct": 5, "addr": 20, "signup": 10}
THROTTLE_CAP = {"acct": 15 * 60, "addr": 60 * 60, "signup": 60 * 60}
THROTTLE_FORGET = timedelta(hours=1)
_NEVER = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _throttle_keys(email: str, address: str) -> dict[str, str]:
    address = (address or "unknown")[:100]
    return {"acct": f"acct:{email[:254]}|{address}", "addr": f"addr:{address}"}


def _throttle_check(db: Session, keys: dict[str, str], now: datetime) -> None:
    rows = db.scalars(sa.select(SignInThrottle).where(SignInThrottle.key.in_(keys.values())))
    for row in rows:
        if now - row.last_failure_at > THROTTLE_FORGET or row.blocked_until <= now:
            continue
        wait = max(1, math.ceil((row.blocked_until - now).total_seconds()))
        if row.key.startswith("signup:"):
            raise TooManyAttemptsError(
                f"Too many sign-ups from your address; try again in {wait} s.",
                field="address", value=None, fix=f"wait {wait} seconds", retry_after=wait)
        whom = "this e-mail from your address" if row.key.startswith("acct:") else \
            "your address"
        raise TooManyAttemptsError(
            f"Too many failed sign-ins for {whom}; try again in {wait} s.",
            field="email" if row.key.startswith("acct:") else "address", value=None,
            fix=f"wait {wait} seconds", retry_after=wait)


def _throttle_fail(db: Session, keys: dict[str, str], now: datetime) -> None:
    for kind, key in keys.items():
        row = db.scalar(sa.select(SignInThrottle).where(SignInThrottle.key == key))
        if row is None:
            row = SignInThrottle(key=key, failures=0, last_failure_at=now, blocked_until=_NEVER)
            db.add(row)
        elif now - row.last_failure_at > THROTTLE_FORGET:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        over = row.failures - THROTTLE_FREE[kind] + 1  # > 0: the free attempts are used up
        row.blocked_until = now + timedelta(
            seconds=min(THROTTLE_CAP[kind], 2 ** min(over - 1, 30))) if over > 0 else _NEVER
    db.execute(sa.delete(SignInThrottle).where(
        SignInThrottle.last_failure_at < now - THROTTLE_FORGET))


def throttle_signup(db: Session, address: str) -> None:
    """Count a sign-up attempt from ``address`` (new or taken e-mail alike, so the count is no
    oracle): 10 free per hour, then the same doubling wait as sign-ins (429, Retry-After).
    Each sign-up costs an argon2 hash; this bounds what one address can make the server do."""
    keys = {"signup": f"signup:{(address or 'unknown')[:100]}"}
    now = utcnow()
    _throttle_check(db, keys, now)
    for _ in range(3):
        try:
            _throttle_fail(db, keys, now)
            db.commit()
            return
        except IntegrityError:
            db.rollback()


def authenticate(db: Session, email: str, password: str, address: str = "unknown") -> Advisor:
    """The active advisor with these credentials; the same error whether the e-mail, the
    password or the account's state is wrong.

    Throttled per (e-mail, address) and per address, in the database (see the rule above);
    the password is verified outside any transaction.

    Raises
    ------
    AuthenticationError, TooManyAttemptsError
    """
    email = _normal_email(email)
    keys = _throttle_keys(email, address)
    now = utcnow()
    _throttle_check(db, keys, now)
    adv = db.scalar(sa.select(Advisor).where(Advisor.email == email))
    db.commit()  # no lock held while argon2 runs
    if adv is None:
        sec.burn_verify_time(password)
    if adv is None or not sec.verify_password(adv.password_hash, password) \
            or not adv.is_active:
        for attempt in range(3):
            try:
                _throttle_fail(db, keys, utcnow())
                db.commit()
                break
            except IntegrityError:  # a concurrent first failure for the same key
                db.rollback()
        raise AuthenticationError("E-mail or password is wrong.", field="password",
                                  fix="check both and try again")
    db.execute(sa.delete(SignInThrottle).where(SignInThrottle.key == keys["acct"]))
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
    if token.startswith(sec.API_KEY_PREFIX):
        if "api_key" not in kinds:
            return None
        key = db.scalar(sa.select(ApiKey).where(ApiKey.key_hash == digest,
                                                ApiKey.revoked_at.is_(None)))
        adv = db.get(Advisor, key.advisor_id) if key else None
    else:
        row = db.scalar(sa.select(AuthToken).where(AuthToken.token_hash == digest,
                                                   AuthToken.kind.in_(kinds)))
        if row is None or _aware(row.expires_at) <= utcnow():
            return None
        adv = db.get(Advisor, row.advisor_id)
    return adv if adv is not None and adv.is_active else None


def revoke_token(db: Session, me: Advisor, token: str) -> str:
    """Sign out with this credential: a session or bearer token ends; an API key is revoked
    (it stops working for good). Returns ``"api_key"`` or ``"session"``."""
    if token.startswith(sec.API_KEY_PREFIX):
        key = db.scalar(sa.select(ApiKey).where(ApiKey.key_hash == sec.token_hash(token),
                                                ApiKey.advisor_id == me.id))
        if key is not None and key.revoked_at is None:
            key.revoked_at = utcnow()
            audit(db, me, "revoke", "api_key", key.id, via="logout")
        db.commit()
        return "api_key"
    db.execute(sa.delete(AuthToken).where(AuthToken.token_hash == sec.token_hash(token)))
    audit(db, me, "sign_out", "session", None)
    db.commit()
    return "session"


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
    stmt = sa.select(Client).where(Client.firm_id == me.firm_id, Client.deleted_at.is_(None))
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
    check_fact_limits(facts)
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


def _today() -> date:
    return utcnow().date()


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def check_fact_limits(facts: dict[str, Any], prefix: str = "profile.") -> None:
    """The service's bounds on profile facts (before the library parses them).

    ``as_of`` between :data:`~tailorfolio.service._config.MIN_DATE` and a year after today,
    at most ``MAX_GOALS`` goals, each ``target_year`` from 1900 to ``MAX_GOAL_YEARS_AHEAD``
    years ahead. Anything else is the library's to judge.

    Raises
    ------
    ProfileValidationError
        One issue per violated bound, with the field path.
    """
    issues: list[FieldIssue] = []
    today = _today()
    latest = today + timedelta(days=limits.MAX_AS_OF_FUTURE_DAYS)
    as_of = _as_date(facts.get("as_of"))
    if as_of is not None and not limits.MIN_DATE <= as_of <= latest:
        issues.append(FieldIssue(f"{prefix}as_of", as_of.isoformat(),
                                 f"must be between {limits.MIN_DATE} and {latest}",
                                 "use the date the plan is made for (e.g. today)"))
    goals = facts.get("goals")
    if isinstance(goals, list):
        if len(goals) > limits.MAX_GOALS:
            issues.append(FieldIssue(f"{prefix}goals", f"{len(goals)} goals",
                                     f"at most {limits.MAX_GOALS} goals are accepted",
                                     "merge or drop goals"))
        top = today.year + limits.MAX_GOAL_YEARS_AHEAD
        for i, goal in enumerate(goals[: limits.MAX_GOALS]):
            year = goal.get("target_year") if isinstance(goal, dict) else None
            try:
                y = int(year) if year is not None and not isinstance(year, bool) else None
            except (TypeError, ValueError):
                y = None
            if y is not None and not limits.MIN_DATE.year <= y <= top:
                issues.append(FieldIssue(f"{prefix}goals[{i}].target_year", y,
                                         f"must be between {limits.MIN_DATE.year} and {top}",
                                         "give the goal's year as four digits"))
    if issues:
        raise ProfileValidationError(issues)


def check_lot_date(acquired: date, field: str) -> None:
    """A lot's acquisition date lies between ``MIN_DATE`` and today."""
    today = _today()
    if not limits.MIN_DATE <= acquired <= today:
        raise LimitError(f"The acquisition date {acquired} is outside {limits.MIN_DATE} .. "
                         f"{today} (a lot cannot be bought in the future).", field=field,
                         value=acquired.isoformat(),
                         expected=f"a date from {limits.MIN_DATE} to {today}",
                         fix="enter the date the shares were bought")


def _check_counts(db: Session, acct: Account, new_lots: int) -> None:
    """At most ``MAX_LOTS_PER_ACCOUNT`` lots in the account, ``MAX_LOTS_PER_CLIENT`` in all."""
    in_acct = db.scalar(sa.select(sa.func.count(Lot.id)).where(Lot.account_id == acct.id)) or 0
    if in_acct + new_lots > limits.MAX_LOTS_PER_ACCOUNT:
        raise LimitError(f"The account would hold {in_acct + new_lots} lots; at most "
                         f"{limits.MAX_LOTS_PER_ACCOUNT} are accepted.", field="lots",
                         value=in_acct + new_lots,
                         expected=f"<= {limits.MAX_LOTS_PER_ACCOUNT} lots per account",
                         fix="merge lots of the same asset, or delete old ones")
    in_client = db.scalar(sa.select(sa.func.count(Lot.id)).join(Account).where(
        Account.client_id == acct.client_id)) or 0
    if in_client + new_lots > limits.MAX_LOTS_PER_CLIENT:
        raise LimitError(f"The client would hold {in_client + new_lots} lots; at most "
                         f"{limits.MAX_LOTS_PER_CLIENT} are accepted.", field="lots",
                         value=in_client + new_lots,
                         expected=f"<= {limits.MAX_LOTS_PER_CLIENT} lots per client",
                         fix="merge lots of the same asset, or delete old ones")


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

def _check_asset(asset: str, field: str, db: Session | None = None,
                 firm_id: int | None = None) -> str:
    """The ticker of ``asset``, which must be priced by the firm's current market (its newest
    uploaded market version) or, for a firm without one, by the bundled default market."""
    from tailorfolio.service._market_store import current_market_version

    ticker = asset.strip().upper()
    version = (current_market_version(db, firm_id)
               if db is not None and firm_id is not None else None)
    if version is not None:
        tickers = list(version.summary.get("tickers", []))
        where = f"the firm's market version {version.version}"
        fix = "use a ticker the firm's current market data prices, or upload market data with it"
    else:
        tickers = list(default_market().universe.tickers)
        where = "the default market's universe"
        fix = "use a ticker of the default market's universe, or upload the firm's market data"
    if ticker not in tickers:
        raise DataError(f"Unknown asset {ticker!r}: {where} does not price it.", field=field,
                        value=ticker, expected=f"one of {tickers}", fix=fix)
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
    n = db.scalar(sa.select(sa.func.count(Account.id)).where(Account.client_id == client.id))
    if (n or 0) >= limits.MAX_ACCOUNTS_PER_CLIENT:
        raise LimitError(f"The client already has {n} accounts; at most "
                         f"{limits.MAX_ACCOUNTS_PER_CLIENT} are accepted.", field="accounts",
                         value=n, expected=f"<= {limits.MAX_ACCOUNTS_PER_CLIENT} accounts",
                         fix="delete an account that is no longer used")
    lots_total = db.scalar(sa.select(sa.func.count(Lot.id)).join(Account).where(
        Account.client_id == client.id)) or 0
    if lots_total + len(body.lots) > limits.MAX_LOTS_PER_CLIENT:
        raise LimitError(f"The client would hold {lots_total + len(body.lots)} lots; at most "
                         f"{limits.MAX_LOTS_PER_CLIENT} are accepted.", field="lots",
                         value=lots_total + len(body.lots),
                         expected=f"<= {limits.MAX_LOTS_PER_CLIENT} lots per client",
                         fix="merge lots of the same asset")
    acct = Account(client_id=client.id, name=body.name, type=body.type.value, cash=body.cash,
                   annual_contribution=body.annual_contribution)
    for i, lot in enumerate(body.lots):
        acct.lots.append(Lot(asset=_check_asset(lot.asset, f"lots[{i}].asset", db, me.firm_id),
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
    _check_counts(db, acct, 1)
    lot = Lot(asset=_check_asset(body.asset, "asset", db, me.firm_id), quantity=body.quantity,
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
    try:
        return _read_lots(reader)
    except csv.Error as exc:  # bare carriage return, NUL byte, oversized field, ...
        line = reader.line_num or 1
        raise DataError(f"CSV line {line} cannot be read: {exc}.", field=f"file line {line}",
                        expected="one lot per line, lines ending in \\n or \\r\\n, no NUL bytes",
                        fix="save the file again as CSV (UTF-8) and upload it") from None


def _read_lots(reader: csv.DictReader[str]) -> list[s.LotCreate]:
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
        except Exception as exc:  # pydantic or float/date parsing: name the line and column
            column = _bad_column(exc)
            detail = str(exc).splitlines()[0] if column is None else \
                f"{column}: {_pydantic_msg(exc)}"
            raise DataError(f"CSV line {n} is invalid: {detail}",
                            field=f"file line {n}" + (f".{column}" if column else ""),
                            value={k: v[:40] for k, v in list(row.items())[:8]},
                            expected="asset,quantity>0,cost_basis_per_share>=0,YYYY-MM-DD",
                            fix="correct that line") from None
    if not out:
        raise DataError("The CSV has no lots.", field="file", fix="add at least one row")
    return out


def _bad_column(exc: Exception) -> str | None:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            return str(errors()[0]["loc"][0])
        except (IndexError, KeyError, TypeError):
            return None
    return None


def _pydantic_msg(exc: Exception) -> str:
    if isinstance(exc, ValidationError) and exc.errors():
        return str(exc.errors()[0]["msg"])
    return str(exc).splitlines()[0]


def upload_lots(db: Session, me: Advisor, client_id: int, account_id: int, raw: bytes,
                max_bytes: int) -> list[Lot]:
    """Add every lot of a CSV upload, all or nothing."""
    acct = get_account(db, me, client_id, account_id)
    lots = parse_lots_csv(raw, max_bytes)
    _check_counts(db, acct, len(lots))
    rows = [Lot(asset=_check_asset(lot.asset, f"file line {i + 2}.asset", db, me.firm_id),
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
    data["accounts"] = accounts_data(accounts)
    return data, version.version


def accounts_data(accounts: Iterable[Account]) -> list[dict[str, Any]]:
    """Accounts and their lots as the profile's plain data (the ``accounts`` field)."""
    return [
        {"name": a.name, "type": a.type, "cash": a.cash,
         "annual_contribution": a.annual_contribution,
         "lots": [{"asset": lot.asset, "quantity": lot.quantity,
                   "cost_basis_per_share": lot.cost_basis_per_share,
                   "acquired": lot.acquired.isoformat()} for lot in a.lots]}
        for a in accounts]


def check_plan_inputs(inputs: dict[str, Any]) -> None:
    """Re-check stored inputs against today's limits before queueing a plan (rows written
    before a limit existed, e.g. a lot dated 9999-12-31, fail here with their field, not in
    the optimizer)."""
    check_fact_limits(inputs, prefix="")
    accounts = inputs.get("accounts", [])
    if len(accounts) > limits.MAX_ACCOUNTS_PER_CLIENT:
        raise LimitError(f"The client has {len(accounts)} accounts; at most "
                         f"{limits.MAX_ACCOUNTS_PER_CLIENT} are planned.", field="accounts",
                         value=len(accounts), fix="delete accounts that are no longer used")
    n_lots = 0
    for acct in accounts:
        for i, lot in enumerate(acct["lots"]):
            check_lot_date(date.fromisoformat(lot["acquired"]),
                           f"accounts[{acct['name']}].lots[{i}].acquired")
        n_lots += len(acct["lots"])
    if n_lots > limits.MAX_LOTS_PER_CLIENT:
        raise LimitError(f"The client has {n_lots} lots; at most {limits.MAX_LOTS_PER_CLIENT} "
                         "are planned.", field="lots", value=n_lots,
                         fix="merge lots of the same asset")


def submit_plan(db: Session, me: Advisor, client_id: int, body: s.PlanCreate,
                runner: JobRunner, goal_paths: int | None = None) -> PlanJob:
    """Queue a plan of the client's current profile and accounts; returns its job.

    The inputs are read and checked now (what the advisor sees is what is planned), a queue
    slot is reserved (503/429 with Retry-After when there is none) and the job row written in
    one short transaction; a worker makes and stores the plan.
    """
    from tailorfolio.service._judgement import with_overrides
    from tailorfolio.service._market_store import current_market_spec

    client = get_client(db, me, client_id)
    inputs, version = profile_inputs(db, client)
    inputs = with_overrides(db, client, inputs)  # the advisor's overrides, when any
    market = current_market_spec(db, me.firm_id)
    db.commit()
    check_plan_inputs(inputs)
    runner.reserve(me.id)
    try:
        job = PlanJob(firm_id=me.firm_id, client_id=client.id, created_by=me.id,
                      status="queued", progress=0.0, stage="queued", profile_version=version)
        db.add(job)
        db.flush()
        audit(db, me, "submit", "plan_job", job.id, client_id=client.id,
              profile_version=version)
        db.commit()
    except BaseException:
        runner.release(me.id)
        raise
    runner.enqueue(JobSpec(job_id=job.id, firm_id=me.firm_id, advisor_id=me.id,
                           client_id=client.id, profile_version=version, inputs=inputs,
                           return_model=body.return_model.value, as_of=body.as_of,
                           goal_paths=goal_paths, market=market))
    return job


def get_job(db: Session, me: Advisor, job_id: int) -> PlanJob:
    """A job of a client the advisor may see; :class:`NotFoundError` otherwise."""
    job = db.scalar(sa.select(PlanJob).where(PlanJob.id == job_id,
                                             PlanJob.firm_id == me.firm_id))
    if job is None or db.scalar(_scoped_clients(me).where(Client.id == job.client_id)) is None:
        raise NotFoundError(f"No plan job {job_id} among your clients' jobs.", field="job_id",
                            value=job_id, fix="use the job link the plan request returned")
    return job


def job_read(job: PlanJob, runner: JobRunner | None = None) -> s.JobRead:
    progress, stage = job.progress, job.stage
    live = runner.progress(job.id) if runner is not None and job.status in (
        "queued", "running") else None
    if live is not None:
        progress, stage = live
    err = job.error or {}
    return s.JobRead(
        id=job.id, client_id=job.client_id, status=job.status, progress=progress, stage=stage,
        plan_id=job.plan_id, created_at=job.created_at, started_at=job.started_at,
        finished_at=job.finished_at, error=err.get("body"), error_status=err.get("status"),
        links={"self": f"/api/v1/jobs/{job.id}",
               **({"plan": f"/api/v1/clients/{job.client_id}/plans/{job.plan_id}"}
                  if job.plan_id else {})})


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
