"""The investor's constraints and values: exclusions, ESG, concentration limits, cash reserve."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Bounds(BaseModel):
    """A [min, max] range of portfolio weight, decimals (0.4 = 40 %)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min: float = Field(default=0.0, ge=0, le=1)
    max: float = Field(default=1.0, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> Bounds:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max}); swap them")
        return self


class Preferences(BaseModel):
    """What the investor wants the portfolio to respect.

    Attributes
    ----------
    excluded_assets : list of str
        Tickers never to hold.
    excluded_sectors : list of str
        Activity or sector tags never to hold (matched against each asset's ``sectors`` tags,
        case-insensitive; e.g. ``fossil_fuels``, ``tobacco``, ``weapons``, ``energy``).
    min_esg_score : float, optional
        Floor on the portfolio's weighted ESG score, on the universe's 0–100 scale (higher is
        better).
    esg_tilt : float
        Strength of a tilt toward higher-ESG assets, >= 0 (0 = none). In the objective as
        ``esg_tilt * (score/100) @ w`` in units of annual expected return.
    esg_missing_score_policy : str
        How assets without an ESG score are treated when a floor or tilt is set:
        ``exclude``, ``worst`` (count as 0) or ``ignore`` (leave out of the floor's average).
    esg_preset : str, optional
        A ready-made ESG stance (see :mod:`tailorfolio.optimize._esg_presets`): ``none``,
        ``exclusions_only``, ``best_in_class`` or ``strong``. It adds exclusions to
        ``excluded_sectors`` and sets ``min_esg_score`` / ``esg_tilt`` only where this profile
        does not set them itself. None (the default) means no preset.
    esg_fund_alternatives : bool
        Add tailorfolio's ESG-screened fund alternatives (ESGV, VSGX, VCEB) to the bundled
        default universe (opt-in; ignored when the plan uses the user's own market).
    max_weight_per_asset : float
        Cap on any single asset's weight, decimal in (0, 1].
    asset_class_bounds : dict of str to Bounds
        Weight ranges per asset class or broad class (``equity``, ``bond``, ``real_asset``,
        ``cash``, or a fine class such as ``us_equity``).
    asset_bounds : dict of str to Bounds
        Weight ranges per ticker.
    cash_reserve_months : float
        Months of expenses to keep in cash-like assets (0 = none).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    excluded_assets: tuple[str, ...] = ()
    excluded_sectors: tuple[str, ...] = ()
    min_esg_score: float | None = Field(default=None, ge=0, le=100)
    esg_tilt: float = Field(default=0.0, ge=0, le=1)
    esg_missing_score_policy: str = Field(default="worst", pattern="^(exclude|worst|ignore)$")
    esg_preset: str | None = Field(
        default=None, pattern="^(none|exclusions_only|best_in_class|strong)$")
    esg_fund_alternatives: bool = False
    max_weight_per_asset: float = Field(default=1.0, gt=0, le=1)
    asset_class_bounds: dict[str, Bounds] = Field(default_factory=dict)
    asset_bounds: dict[str, Bounds] = Field(default_factory=dict)
    cash_reserve_months: float = Field(default=0.0, ge=0, le=120)

    @field_validator("excluded_assets")
    @classmethod
    def _upper_assets(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(s.strip().upper() for s in v)

    @field_validator("excluded_sectors")
    @classmethod
    def _lower_sectors(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(s.strip().lower() for s in v)

    @field_validator("asset_bounds")
    @classmethod
    def _upper_keys(cls, v: dict[str, Bounds]) -> dict[str, Bounds]:
        return {k.strip().upper(): b for k, b in v.items()}

    @field_validator("asset_class_bounds")
    @classmethod
    def _lower_keys(cls, v: dict[str, Bounds]) -> dict[str, Bounds]:
        return {k.strip().lower(): b for k, b in v.items()}
