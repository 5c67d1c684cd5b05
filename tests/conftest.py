"""Fixtures shared by the engine's tests."""

import warnings

import numpy as np
import pytest


@pytest.fixture
def strict():
    """Every warning is an error and every floating-point exception traps."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            yield
