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


@pytest.mark.parametrize("kind", ["cross_entropy", "squared_error"])
def test_each_steps_loss_alone_averages_to_the_loss_and_the_last_is_the_last_steps(kind):
    from rnnviz.engine.losses import step_losses

    rng = np.random.default_rng(3)
    z_y = rng.standard_normal((3, 4, 5))
    targets = (rng.integers(0, 3, size=(4, 5)) if kind == "cross_entropy"
               else rng.standard_normal((3, 4, 5)))
    losses = step_losses(Loss(kind, "last"), z_y, targets)
    assert losses.shape == (5,) and np.all(losses > 0)
    assert np.mean(losses) == pytest.approx(loss_and_output_gradient(
        Loss(kind, "all"), z_y, targets)[0], rel=1e-12)
    assert losses[-1] == pytest.approx(loss_and_output_gradient(
        Loss(kind, "last"), z_y, targets)[0], rel=1e-12)


def test_a_step_whose_labels_are_all_skipped_has_no_loss():
    from rnnviz.engine.losses import step_losses

    labels = np.array([[0, -1, 1], [1, -1, -1]])
    losses = step_losses(Loss(), np.zeros((2, 2, 3)), labels)
    assert np.isnan(losses[1]) and losses[0] == pytest.approx(np.log(2))
    assert losses[2] == pytest.approx(np.log(2))  # one example counted, the other skipped
