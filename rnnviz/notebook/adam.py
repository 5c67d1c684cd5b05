"""The notebook's Adam, `initialize_adam` and `update_parameters_with_adam`, over the
engine's one Adam (rnnviz.engine.optim.adam_update)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rnnviz.engine._arrays import as_float_array
from rnnviz.engine.optim import adam_update, check_hyper, check_like, refusing_update_overflow


def _dict(name: str, value) -> Mapping:
    """value if it is a dict (any Mapping); TypeError naming `name` otherwise."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a dict {{name: array}}; got {type(value).__name__}")
    return value


def initialize_adam(parameters: dict):
    """Zero first and second moments for every parameter.

    Args:
        parameters: dict {name: array}.

    Returns:
        v, s: dicts {"d" + name: zeros of that array's shape}.
    """
    shapes = {"d" + name: as_float_array(name, value).shape
              for name, value in _dict("parameters", parameters).items()}
    return ({key: np.zeros(shape) for key, shape in shapes.items()},
            {key: np.zeros(shape) for key, shape in shapes.items()})


def update_parameters_with_adam(parameters: dict, grads: dict, v: dict, s: dict, t: int,
                                learning_rate: float = 0.01, beta1: float = 0.9,
                                beta2: float = 0.999, epsilon: float = 1e-8,
                                eps_inside_sqrt: bool = False):
    """One bias-corrected Adam step on every parameter (epsilon after the square root,
    as in Kingma & Ba; eps_inside_sqrt=True gives the notebook's sqrt(s_hat + epsilon)).

    Args:
        parameters: dict {name: array}.
        grads: dict {"d" + name: gradient of that array's shape}.
        v, s: moments from `initialize_adam` or a previous call, each its parameter's shape.
        t: step number, from 1.

    Returns:
        parameters, v, s: new dicts (the arguments are not modified).
    """
    check_hyper({"learning_rate": learning_rate, "beta1": beta1, "beta2": beta2,
                 "epsilon": epsilon, "eps_inside_sqrt": eps_inside_sqrt})
    named = {"grads": _dict("grads", grads), "v": _dict("v", v), "s": _dict("s", s)}
    checked = []
    for name, theta in _dict("parameters", parameters).items():
        key, theta = "d" + name, as_float_array(name, theta)
        arrays = []
        for label, store in named.items():
            if key not in store:
                hint = "" if label == "grads" else "; start from initialize_adam(parameters)"
                raise ValueError(f"{label} has no {key!r} for parameter {name!r}{hint}")
            arrays.append(check_like(f"{label}[{key!r}]", store[key], theta, name))
        checked.append((name, key, theta, *arrays))
    new_params, new_v, new_s = {}, {}, {}
    with refusing_update_overflow(learning_rate) as guard:
        for name, key, theta, grad, v_prev, s_prev in checked:
            guard.updating(name, theta, grad)
            new_params[name], new_v[key], new_s[key], *_ = adam_update(
                theta, grad, v_prev, s_prev, t, learning_rate, beta1, beta2, epsilon,
                eps_inside_sqrt)
    return new_params, new_v, new_s
