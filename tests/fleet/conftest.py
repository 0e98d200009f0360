"""Fixtures of the fleet tests: a small seeded universe with every constraint type."""

from __future__ import annotations

import numpy as np
import pytest

from tailorfolio.fleet import FleetModel, InvestorBatch, factor_model_universe, synthetic_book


@pytest.fixture(scope="session")
def model() -> FleetModel:
    return factor_model_universe(12, seed=7)


@pytest.fixture(scope="session")
def book(model) -> InvestorBatch:
    return synthetic_book(model, 120, seed=11, infeasible_share=0.03)
