"""Fixtures shared by the engine's tests, and how every test run ends on SIGTERM."""

import signal
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


def _terminated(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config: pytest.Config) -> None:
    """A SIGTERM (a CI's or `timeout`'s) ends the run as Ctrl-C does, so that fixtures and
    tests tear down what they started: the app servers of the browser tests and the servers
    of test_workers run in sessions of their own (so that teardown can kill their process
    groups) and would outlive a run that the signal ended at once."""
    signal.signal(signal.SIGTERM, _terminated)
