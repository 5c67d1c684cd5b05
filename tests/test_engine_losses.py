"""Losses: the positions they count, and non-finite outputs where the loss does not look."""

import numpy as np
import pytest

from rnnviz.engine.losses import Loss, loss_and_output_gradient


def test_squared_error_at_last_step_ignores_an_infinite_output_earlier():
    z_y = np.zeros((1, 2, 3))
    z_y[0, 0, 0] = np.inf  # t = 1 is not counted by a last-step loss
    targets = np.ones((1, 2, 3))
    value, dz = loss_and_output_gradient(Loss("squared_error", "last"), z_y, targets)
    assert value == pytest.approx(0.5)  # 0.5 * (1 + 1) / 2 positions
    assert np.all(np.isfinite(dz))
    assert np.all(dz[:, :, :2] == 0.0)
    np.testing.assert_allclose(dz[0, :, 2], [-0.5, -0.5])


def test_squared_error_reports_inf_when_a_counted_output_is_infinite():
    z_y = np.zeros((1, 2, 3))
    z_y[0, 1, 2] = np.inf
    value, _ = loss_and_output_gradient(Loss("squared_error", "last"), z_y, np.zeros((1, 2, 3)))
    assert value == np.inf


def test_cross_entropy_skips_labels_of_minus_one():
    z_y = np.log(np.array([[[0.25, 0.5]], [[0.75, 0.5]]]))  # (n_y=2, m=1, T_x=2)
    value, dz = loss_and_output_gradient(Loss(), z_y, np.array([[1, -1]]))
    assert value == pytest.approx(-np.log(0.75))
    assert np.all(dz[:, :, 1] == 0.0)
    np.testing.assert_allclose(dz[:, 0, 0], [0.25, -0.25])
