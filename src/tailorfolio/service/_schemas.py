"""Request and response bodies of the REST API: separate models to create, update and read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from tailorfolio.optimize._result import Objective
from tailorfolio.profile._enums import AccountType

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


# ------------------------------------------------------------------ auth and advisors

class SignupCreate(BaseModel):
    model_config = _STRICT
    firm_name: str = Field(min_length=1, max_length=120)
    name: str = Field(min_length=1, max_length=120)
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=10, max_length=1024)


class AdvisorCreate(BaseModel):
    model_config = _STRICT
    name: str = Field(min_length=1, max_length=120)
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=10, max_length=1024)
    is_admin: bool = False


class AdvisorRead(BaseModel):
    model_config = _READ
    id: int
    firm_id: int
    name: str
    email: str
    is_admin: bool
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
    quantity: float = Field(gt=0, le=1e12)
    cost_basis_per_share: float = Field(ge=0, le=1e9)
    acquired: date


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
    cash: float = Field(default=0.0, ge=0, le=1e12)
    annual_contribution: float = Field(default=0.0, ge=0, le=1e10)
    lots: list[LotCreate] = Field(default_factory=list, max_length=1000)


class AccountUpdate(BaseModel):
    model_config = _STRICT
    name: str | None = Field(default=None, min_length=1, max_length=80)
    type: AccountType | None = None
    cash: float | None = Field(default=None, ge=0, le=1e12)
    annual_contribution: float | None = Field(default=None, ge=0, le=1e10)


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
    objective: Objective = Objective.MAX_UTILITY
    as_of: date | None = Field(default=None, description="Date the plan is made for; defaults "
                               "to the profile's as_of, then today.")


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
