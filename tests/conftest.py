"""Shared fixtures: the bundled market, example profiles and a seeded generator."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings
from threadpoolctl import threadpool_limits

from tailorfolio.examples import EXAMPLE_PROFILES, load_example_profile
from tailorfolio.market import default_market
from tailorfolio.profile import InvestorProfile


# In CI, property tests replay the same examples every run (a failure found while developing
# is fixed, not left to appear at random in someone else's CI run); locally they explore.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

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


def shared_data(name: str) -> Path:
    """A file of the project's reference data (``shared/data``, beside the repository; test and
    benchmark data only, never shipped)."""
    here = Path(__file__).resolve().parents[1]
    for root in (here.parent / "shared" / "data", Path("/work/shared/data")):
        if (root / name).exists():
            return root / name
    return here.parent / "shared" / "data" / name
