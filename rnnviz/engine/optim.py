"""Optimizers with their insides visible, and gradient clipping.

For every parameter array theta with gradient g, at step t = 1, 2, ... (the notebook's
names: v is the first moment, s the second)::

    sgd       theta -= lr g
    momentum  v = beta1 v + (1 - beta1) g;              theta -= lr v
    rmsprop   s = beta2 s + (1 - beta2) g^2;            theta -= lr g / (sqrt(s) + eps)
    adam      v, s as above, v_hat = v / (1 - beta1^t), s_hat = s / (1 - beta2^t),
              step = lr v_hat / (sqrt(s_hat) + eps);    theta -= step
              (`adam_update`, the one Adam in the engine, which rnnviz.notebook uses too;
              Kingma & Ba, 2015, call v_hat and s_hat m-hat and v-hat. The course notebook
              divides by sqrt(s_hat + eps) instead: eps_inside_sqrt=True, which changes the
              first steps when gradients are tiny)

Clipping, applied to the gradients before the step::

    by global norm:  ||g|| = sqrt(sum over every array of sum g^2);
                     if ||g|| > max_norm: g <- g * max_norm / ||g||   (direction kept)
    by value:        g <- clip(g, -limit, limit)                      (each entry)

An optimizer works on a cell's parameter container (rnnviz.engine.params.Params) or a plain
{name: array} dict. `step` is pure for the parameters (it returns a new container and
leaves the one passed in untouched) and updates the optimizer's own state in place. It
refuses, naming it, a gradient that is missing, not finite, complex or not its parameter's
shape (a gradient that broadcasts would silently change the parameter's shape).
"""

from __future__ import annotations

import math

import numpy as np

from rnnviz.engine._arrays import (
    as_float_array,
    check_number,
    check_shape,
    check_whole,
    largest,
    refusing_overflow,
)

MAX_T = 2 ** 53  # the step counter t, up to where float64 counts every whole number


def _items(params, argument: str = "grads") -> list[tuple[str, np.ndarray]]:
    if not callable(getattr(params, "items", None)):
        raise TypeError(f"{argument} must be a parameter container or a {{name: array}} dict; "
                        f"got {type(params).__name__}")
    return list(params.items())


def check_like(name: str, value, theta: np.ndarray, of: str) -> np.ndarray:
    """A gradient or moment of parameter `of` (theta) as float64; TypeError or ValueError
    naming it (`name`) unless it holds finite real numbers in theta's shape."""
    array = as_float_array(name, value)
    check_shape(name, array, theta.shape, f"{of}'s shape")
    return array


class refusing_update_overflow(refusing_overflow):  # lower case, as its base
    """`refusing_overflow` for updating parameters one after another: call `updating(name,
    theta, grad)` before each, and an overflow's message names that parameter, its gradient
    and the learning rate."""

    def __init__(self, learning_rate: float):
        super().__init__(self._message)
        self.learning_rate = learning_rate
        self.current = ("", np.zeros(0), np.zeros(0))

    def updating(self, name: str, theta: np.ndarray, grad: np.ndarray) -> None:
        self.current = (name, theta, grad)

    def _message(self) -> str:
        name, theta, grad = self.current
        return (f"the update of {name} overflows float64, whose numbers end at 1.8e308 "
                f"({largest('its gradient', grad)}, {largest(name, theta)}, learning_rate = "
                f"{self.learning_rate:g}): one of them is too large")


def check_hyper(hyper: dict) -> None:
    """ValueError naming the first hyper-parameter out of its range: every one a finite
    number (eps_inside_sqrt a bool), learning_rate and epsilon positive, beta1 and beta2
    in [0, 1)."""
    for key, value in hyper.items():
        if key != "eps_inside_sqrt":
            check_number(key, value)
    if not hyper["learning_rate"] > 0:
        raise ValueError(f"learning_rate must be positive; got {hyper['learning_rate']}")
    for key in ("beta1", "beta2"):
        if key in hyper and not 0 <= hyper[key] < 1:
            raise ValueError(f"{key} must be in [0, 1); got {hyper[key]}")
    if "epsilon" in hyper and not hyper["epsilon"] > 0:
        raise ValueError(f"epsilon must be positive; got {hyper['epsilon']}")
    if not isinstance(hyper.get("eps_inside_sqrt", False), (bool, np.bool_)):
        raise TypeError(f"eps_inside_sqrt must be True or False; got "
                        f"{hyper['eps_inside_sqrt']!r}")


def _rebuild(like, arrays: dict[str, np.ndarray]):
    """A container of the same kind as `like` holding `arrays`."""
    return dict(arrays) if isinstance(like, dict) else type(like)(**arrays)


def global_norm(grads) -> float:
    """sqrt of the sum of squares of every entry of every array (inf or nan if any is)."""
    total = 0.0
    for _, g in _items(grads):
        total += float(np.vdot(g, g))
    return math.sqrt(total) if math.isfinite(total) else total


def max_abs(grads) -> float:
    """The largest |entry| over every array."""
    return max(float(np.max(np.abs(g))) if g.size else 0.0 for _, g in _items(grads))


def clip_by_global_norm(grads, max_norm: float):
    """Rescale all gradients together so their global norm is at most max_norm.

    Args:
        grads: a container of gradient arrays, each its parameter's shape.
        max_norm: > 0.

    Returns:
        (grads, norm_before, clipped): the clipped gradients (a new container when clipped,
        else the one passed in), the global norm before clipping, and whether it was clipped.
        A non-finite norm is returned as is and nothing is clipped.
    """
    if not check_number("max_norm", max_norm) > 0:
        raise ValueError(f"max_norm must be positive; got {max_norm!r}")
    norm = global_norm(grads)
    if not math.isfinite(norm) or norm <= max_norm:
        return grads, norm, False
    scale = max_norm / norm
    return _rebuild(grads, {name: g * scale for name, g in _items(grads)}), norm, True


def clip_by_value(grads, limit: float):
    """Clip every gradient entry into [-limit, limit].

    Args:
        grads: a container of gradient arrays.
        limit: > 0.

    Returns:
        a new container of the same kind.
    """
    if not check_number("limit", limit) > 0:
        raise ValueError(f"the clipping limit must be positive; got {limit!r}")
    return _rebuild(grads, {name: np.clip(g, -limit, limit) for name, g in _items(grads)})


def adam_update(theta: np.ndarray, grad: np.ndarray, v: np.ndarray, s: np.ndarray, t: int,
                learning_rate: float, beta1: float, beta2: float, epsilon: float,
                eps_inside_sqrt: bool = False):
    """One Adam step for one array. Does not modify its arguments.

    Args:
        theta: parameter array, any shape.
        grad: dL/dtheta, theta's shape.
        v, s: first and second moments, theta's shape (zeros before the first step).
        t: the step number, counting from 1 (up to MAX_T).
        learning_rate, beta1, beta2, epsilon: Adam's hyper-parameters.
        eps_inside_sqrt: the notebook's variant, sqrt(s_hat + eps).

    Returns:
        (theta_new, v_new, s_new, v_hat, s_hat, step), all theta's shape.
    """
    t = check_whole("t", t, 1, MAX_T)
    v_new = beta1 * v + (1.0 - beta1) * grad
    s_new = beta2 * s + (1.0 - beta2) * (grad * grad)
    v_hat = v_new / (1.0 - beta1 ** t)
    s_hat = s_new / (1.0 - beta2 ** t)
    denominator = np.sqrt(s_hat + epsilon) if eps_inside_sqrt else np.sqrt(s_hat) + epsilon
    step = learning_rate * v_hat / denominator
    return theta - step, v_new, s_new, v_hat, s_hat, step


class Optimizer:
    """One small interface: step(params, grads) -> new params, and stats().

    Attributes:
        name: "sgd", "momentum", "rmsprop" or "adam".
        normalised: whether the step is divided by a running root mean square of the
            gradient (RMSProp, Adam), so that its size is about the learning rate whatever
            the gradient's size: clipping the gradient then hardly changes the step.
        hyper: the hyper-parameters, by name.
        t: how many steps have been taken.
    """

    name = ""
    normalised = False
    defaults: dict[str, float] = {}

    def __init__(self, **hyper):
        unknown = set(hyper) - set(self.defaults)
        if unknown:
            raise ValueError(f"{self.name} does not take {', '.join(sorted(unknown))}; "
                             f"its hyper-parameters are {', '.join(self.defaults)}")
        self.hyper = {**self.defaults, **hyper}
        check_hyper(self.hyper)
        self.t = 0
        self.state: dict[str, dict[str, np.ndarray]] = {}
        self._last: dict[str, dict[str, np.ndarray]] = {}

    def step(self, params, grads):
        """One update. Returns a new container; `params` and `grads` are not modified.

        Args:
            params: a parameter container or {name: array}.
            grads: the same kind of container, each array its parameter's shape.
        """
        grad_of = dict(_items(grads))
        checked = []
        for name, theta in _items(params, "params"):
            if name not in grad_of:
                raise ValueError(f"grads has no gradient for the parameter {name}")
            theta = as_float_array(name, theta)
            checked.append((name, theta, check_like(f"the gradient of {name}", grad_of[name],
                                                    theta, name)))
        before = (self.t, {name: dict(slots) for name, slots in self.state.items()},
                  dict(self._last))
        self.t += 1
        new = {}
        try:
            with refusing_update_overflow(self.hyper["learning_rate"]) as guard:
                for name, theta, g in checked:
                    guard.updating(name, theta, g)
                    new[name], self._last[name] = self._update(name, theta, g)
                    self._last[name]["grad"] = g
        except ValueError:  # refused: the optimizer stays as it was before the step
            self.t, self.state, self._last = before
            raise
        return _rebuild(params, new)

    def _update(self, name, theta, g):
        raise NotImplementedError

    def stats(self) -> dict[str, dict[str, float]]:
        """Per parameter name, mean magnitudes from the last step.

        Every optimizer reports "grad" (mean |g|) and "step" (mean |change of theta|);
        momentum adds "v" (mean |v|), rmsprop "s" (mean s), adam "v_hat" (mean |v_hat|)
        and "s_hat" (mean s_hat). Empty before the first step.
        """
        out = {}
        for name, arrays in self._last.items():
            out[name] = {key: float(np.mean(np.abs(value))) for key, value in arrays.items()}
        return out

    def last(self, name: str) -> dict[str, np.ndarray]:
        """The full arrays behind stats() for one parameter (each its shape)."""
        return dict(self._last[name])

    def _slot(self, name: str, key: str, like: np.ndarray) -> np.ndarray:
        return self.state.setdefault(name, {}).get(key, np.zeros_like(like))


class SGD(Optimizer):
    """theta -= lr g."""

    name = "sgd"
    defaults = {"learning_rate": 0.1}

    def _update(self, name, theta, g):
        step = self.hyper["learning_rate"] * g
        return theta - step, {"step": step}


class Momentum(Optimizer):
    """v = beta1 v + (1 - beta1) g; theta -= lr v (the notebook's exponentially weighted form)."""

    name = "momentum"
    defaults = {"learning_rate": 0.1, "beta1": 0.9}

    def _update(self, name, theta, g):
        beta = self.hyper["beta1"]
        v = beta * self._slot(name, "v", g) + (1.0 - beta) * g
        self.state[name]["v"] = v
        step = self.hyper["learning_rate"] * v
        return theta - step, {"v": v, "step": step}


class RMSProp(Optimizer):
    """s = beta2 s + (1 - beta2) g^2; theta -= lr g / (sqrt(s) + eps)."""

    name = "rmsprop"
    normalised = True
    defaults = {"learning_rate": 0.001, "beta2": 0.9, "epsilon": 1e-8}

    def _update(self, name, theta, g):
        beta = self.hyper["beta2"]
        s = beta * self._slot(name, "s", g) + (1.0 - beta) * (g * g)
        self.state[name]["s"] = s
        step = self.hyper["learning_rate"] * g / (np.sqrt(s) + self.hyper["epsilon"])
        return theta - step, {"s": s, "step": step}


class Adam(Optimizer):
    """Adam through `adam_update`; stats show v_hat, s_hat and the step."""

    name = "adam"
    normalised = True
    defaults = {"learning_rate": 0.01, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8,
                "eps_inside_sqrt": False}

    def _update(self, name, theta, g):
        h = self.hyper
        theta_new, v, s, v_hat, s_hat, step = adam_update(
            theta, g, self._slot(name, "v", g), self._slot(name, "s", g), self.t,
            h["learning_rate"], h["beta1"], h["beta2"], h["epsilon"], bool(h["eps_inside_sqrt"]))
        self.state[name]["v"] = v
        self.state[name]["s"] = s
        return theta_new, {"v_hat": v_hat, "s_hat": s_hat, "step": step}


OPTIMIZER_CLASSES: dict[str, type[Optimizer]] = {
    optimizer.name: optimizer for optimizer in (SGD, Momentum, RMSProp, Adam)}
OPTIMIZERS = tuple(OPTIMIZER_CLASSES)


def make_optimizer(name: str, **hyper) -> Optimizer:
    """An optimizer by name (a key of OPTIMIZER_CLASSES) with its hyper-parameters; each
    class's `defaults` names the ones it takes and their defaults. Unknown names raise
    ValueError."""
    if name not in OPTIMIZER_CLASSES:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    return OPTIMIZER_CLASSES[name](**hyper)
