"""Request and response bodies of the REST API: separate models to create, update and read."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from tailorfolio.market._equilibrium import ReturnModel
from tailorfolio.profile._enums import AccountType
from tailorfolio.service import _config as limits
from tailorfolio.service._passwords import password_problem

T = TypeVar("T")

_STRICT = ConfigDict(extra="forbid")
_READ = ConfigDict(from_attributes=True)

PROFILE_DESCRIPTION = (
    "The investor profile's facts as in a tailorfolio profile file (`tailorfolio "
    "profile-template`), without `accounts`: accounts and lots are managed through their own "
    "routes. Validated by the library; errors name the field (e.g. `profile.age`).")

EXAMPLE_PROFILE: dict[str, Any] = {
    "age": 41, "annual_income": 185000, "annual_expenses": 120000,
    "risk_questionnaire": {"drop_reaction": "hold", "max_annual_loss": "10_to_20",
                           "portfolio_choice": "c", "objective": "balanced",
                           "experience": "funds", "self_assessment": "cautious",
                           "sure_or_gamble": "half_5000", "risk_word": "uncertainty"},
    "goals": [{"name": "Retirement", "amount": 1500000, "target_year": 2047}],
}


class Page(BaseModel, Generic[T]):
    """One page of a list: ``items`` from ``offset``, at most ``limit``, of ``total``."""

    items: list[T]
    total: int
    limit: int
    offset: int


class ErrorBody(BaseModel):
    """Every error response: the library's error fields."""

    error: str
    message: str
    field: str | None = None
    value: Any = None
    expected: str | None = None
    fix: str | None = None
    issues: list[dict[str, Any]] | None = None


class Health(BaseModel):
    status: str
    database: str
    version: str


def _today() -> date:
    return datetime.now(timezone.utc).date()


PASSWORD_DESCRIPTION = (f"At least {limits.MIN_PASSWORD_LENGTH} characters; not the e-mail "
                        "address, not a repeated or consecutive run, not a common password.")

# ------------------------------------------------------------------ auth and advisors


class PasswordPolicy(BaseModel):
    """The password rules (:func:`password_problem`) on a model's ``password`` field."""

    @field_validator("password", check_fields=False)
    @classmethod
    def _policy(cls, value: str, info: ValidationInfo) -> str:
        problem = password_problem(value, info.data.get("email"))
        if problem:
            raise ValueError(f"The password {problem}")
        return value


class SignupCreate(PasswordPolicy):
    model_config = _STRICT
    firm_name: str = Field(min_length=1, max_length=120)
    name: str = Field(min_length=1, max_length=120)
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=limits.MIN_PASSWORD_LENGTH,
                          max_length=limits.MAX_PASSWORD_LENGTH,
                          description=PASSWORD_DESCRIPTION)


class AdvisorCreate(PasswordPolicy):
    model_config = _STRICT
    name: str = Field(min_length=1, max_length=120)
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=limits.MIN_PASSWORD_LENGTH,
                          max_length=limits.MAX_PASSWORD_LENGTH,
                          description=PASSWORD_DESCRIPTION)
    is_admin: bool = False


class Accepted(BaseModel):
    """The answer to sign-up and advisor creation, the same whether or not the e-mail was
    already registered (no enumeration oracle)."""

    status: Literal["accepted"] = "accepted"
    message: str


class AdvisorUpdate(BaseModel):
    model_config = _STRICT
    is_active: bool | None = Field(default=None, description="false deactivates the advisor: "
                                   "sessions and tokens end, API keys are revoked, sign-in "
                                   "is refused.")
    is_admin: bool | None = None


class AdvisorRead(BaseModel):
    model_config = _READ
    id: int
    firm_id: int
    name: str
    email: str
    is_admin: bool
    is_active: bool
    created_at: datetime


class TokenCreate(BaseModel):
    model_config = _STRICT
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class ApiKeyCreate(BaseModel):
    model_config = _STRICT
    name: str = Field(min_length=1, max_length=80)


class ApiKeyRead(BaseModel):
    model_config = _READ
    id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The API key. Shown once; only its hash is stored.")


# ------------------------------------------------------------------ clients and profiles

class ClientCreate(BaseModel):
    model_config = _STRICT
    name: str = Field(min_length=1, max_length=120)
    profile: dict[str, Any] = Field(description=PROFILE_DESCRIPTION,
                                    examples=[EXAMPLE_PROFILE])


class ClientUpdate(BaseModel):
    model_config = _STRICT
    name: str = Field(min_length=1, max_length=120)


class ClientRead(BaseModel):
    model_config = _READ
    id: int
    name: str
    advisor_id: int
    created_at: datetime
    updated_at: datetime
    profile_version: int


class ProfileUpdate(BaseModel):
    model_config = _STRICT
    base_version: int = Field(ge=1, description="The version this edit starts from; a newer "
                              "version on the server makes the update fail with 409 (no lost "
                              "update).")
    profile: dict[str, Any] = Field(description=PROFILE_DESCRIPTION,
                                    examples=[EXAMPLE_PROFILE])


class ProfileRead(BaseModel):
    model_config = _READ
    client_id: int
    version: int
    data: dict[str, Any]
    created_by: int
    created_at: datetime


# ------------------------------------------------------------------ accounts and lots

class LotCreate(BaseModel):
    model_config = _STRICT
    asset: str = Field(min_length=1, max_length=20)
    quantity: float = Field(gt=0, le=1e12, allow_inf_nan=False)
    cost_basis_per_share: float = Field(ge=0, le=1e9, allow_inf_nan=False)
    acquired: date = Field(description=f"From {limits.MIN_DATE} to today.")

    @field_validator("acquired")
    @classmethod
    def _acquired_in_range(cls, value: date) -> date:
        today = _today()
        if not limits.MIN_DATE <= value <= today:
            raise ValueError(f"The acquisition date must be from {limits.MIN_DATE} to today "
                             f"({today}); a lot cannot be bought in the future")
        return value


class LotRead(BaseModel):
    model_config = _READ
    id: int
    asset: str
    quantity: float
    cost_basis_per_share: float
    acquired: date


class AccountCreate(BaseModel):
    model_config = _STRICT
    name: str = Field(min_length=1, max_length=80)
    type: AccountType
    cash: float = Field(default=0.0, ge=0, le=1e12, allow_inf_nan=False)
    annual_contribution: float = Field(default=0.0, ge=0, le=1e10, allow_inf_nan=False)
    lots: list[LotCreate] = Field(default_factory=list, max_length=limits.MAX_LOTS_PER_ACCOUNT)


class AccountUpdate(BaseModel):
    model_config = _STRICT
    name: str | None = Field(default=None, min_length=1, max_length=80)
    type: AccountType | None = None
    cash: float | None = Field(default=None, ge=0, le=1e12, allow_inf_nan=False)
    annual_contribution: float | None = Field(default=None, ge=0, le=1e10, allow_inf_nan=False)


class AccountRead(BaseModel):
    model_config = _READ
    id: int
    client_id: int
    name: str
    type: AccountType
    cash: float
    annual_contribution: float
    lots: list[LotRead]


class LotUpload(BaseModel):
    created: int
    lots: list[LotRead]


# ------------------------------------------------------------------ plans and audit

class PlanCreate(BaseModel):
    model_config = _STRICT
    return_model: ReturnModel = Field(
        default=ReturnModel.EQUILIBRIUM_VIEWS,
        description="Where expected returns come from: market equilibrium with the "
                    "capital-market forecasts as views (default), equilibrium alone, or the "
                    "raw forecasts.")
    as_of: date | None = Field(default=None, description="Date the plan is made for; defaults "
                               f"to the profile's as_of, then today. From {limits.MIN_DATE} "
                               f"to {limits.MAX_AS_OF_FUTURE_DAYS} days after today.")

    @field_validator("as_of")
    @classmethod
    def _as_of_in_range(cls, value: date | None) -> date | None:
        latest = _today() + timedelta(days=limits.MAX_AS_OF_FUTURE_DAYS)
        if value is not None and not limits.MIN_DATE <= value <= latest:
            raise ValueError(f"as_of must be from {limits.MIN_DATE} to {latest}")
        return value


JobStatus = Literal["queued", "running", "done", "failed"]


class JobRead(BaseModel):
    """A plan job: poll ``links.self`` until ``status`` is ``done`` (then follow
    ``links.plan``) or ``failed`` (then ``error`` says why, as an error body)."""

    id: int
    client_id: int
    status: JobStatus
    progress: float = Field(ge=0, le=1)
    stage: str
    plan_id: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: dict[str, Any] | None = None
    error_status: int | None = Field(default=None, description="The HTTP status the error "
                                     "would have had (422: the inputs; 500: the server).")
    links: dict[str, str]


class PlanSummary(BaseModel):
    model_config = _READ
    id: int
    client_id: int
    profile_version: int
    created_by: int
    created_at: datetime
    library_version: str
    input_hash: str
    risk_level: int
    expected_return: float
    volatility: float
    sharpe: float
    equity_share: float
    investable_wealth: float
    market_version_id: int | None = Field(default=None, description="The firm market version "
                                          "the plan used (null: the bundled default market).")


class PlanRead(PlanSummary):
    inputs: dict[str, Any] = Field(description="The exact profile, settings and as-of date.")
    assumptions: dict[str, Any] = Field(description="Capital-market assumptions used, with "
                                        "sources.")
    plan: dict[str, Any] = Field(description="The plan (tailorfolio Plan.to_dict()).")
    frontier: dict[str, Any] | None = None


class AuditRead(BaseModel):
    model_config = _READ
    id: int
    advisor_id: int | None
    at: datetime
    action: str
    entity: str
    entity_id: int | None
    detail: dict[str, Any]
