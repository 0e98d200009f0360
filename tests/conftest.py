"""Shared fixtures: the bundled market, example profiles and a seeded generator."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from tailorfolio.examples import EXAMPLE_PROFILES, load_example_profile
from tailorfolio.market import default_market
from tailorfolio.profile import InvestorProfile


# pytest-xdist runs one worker per core; a multi-threaded BLAS in each worker would
# oversubscribe the cores and make small matrix operations many times slower.
threadpool_limits(1)


@pytest.fixture(scope="session")
def market():
    """The bundled default market (immutable)."""
    return default_market()


@pytest.fixture(params=sorted(EXAMPLE_PROFILES))
def example_profile(request) -> InvestorProfile:
    """Each bundled example investor in turn."""
    return load_example_profile(request.param)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(42)
