"""The Gradient check page's words: the verdict of each array, the sentences that say what
passed, what failed and why an array cannot be checked, and how its numbers are written."""

from __future__ import annotations

import numpy as np

from rnnviz.app.config import Config
from rnnviz.app.contents import FLOW
from rnnviz.engine import Cell, gradcheck


def power_of_ten(value: float) -> str:
    """A power of ten as it is written in a sentence: 1e-05 -> "10⁻⁵"."""
    exponent = round(np.log10(value))
    return "10" + str(exponent).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))


# The word in the check table's "result" column, for each verdict of rnnviz.engine.gradcheck.
CHECK_RESULTS = {gradcheck.AGREE: "pass", gradcheck.DISAGREE: "FAIL",
                 gradcheck.UNRESOLVED: "cannot be checked"}

# Why arrays cannot be checked, by the engine's reason: what follows their names (with the
# largest mean |∂L/∂θ| among them, the differences' resolution and the pass threshold), and
# the cause, which the Gradient flow page shows.
_CANNOT_CHECK = {
    gradcheck.STEEP: ("with gradients of {gradient} the loss moves too abruptly for central "
                      "differences at any step that float64 can take",
                      "The gradient explodes here"),
    gradcheck.COARSE: ("the loss bends so sharply that central differences resolve the gradient "
                       "only to a relative error of about {resolution}, not below {threshold}",
                       "The gradient grows steeply here"),
    gradcheck.TINY_GRADIENT: ("the gradient (mean |∂L/∂θ| {gradient}) is smaller than what "
                              "round-off alone does to a difference of the loss",
                              "The gradient vanishes here"),
    gradcheck.OVERFLOW: ("the loss overflows when these entries move, so no difference of it "
                         "can be taken", "The loss overflows here"),
}


def scientific(value: float) -> str:
    """A number as the check table and its sentences write it: 7.449e42 -> "7.4e+42";
    NaN -> "—"."""
    return "—" if np.isnan(value) else f"{value:.1e}"


def listing(names) -> str:
    """Names in a sentence: "Wax", "Wax and Waa", "Wax, Waa and ba"."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def check_plan_note(cell: Cell, config: Config, entries: int | None) -> str:
    """What the check will compare: every entry, or `entries` sampled from each array."""
    if entries is None:
        return (f"Every entry of every array is checked ({cell.label}, n_a = {config.n_a}, "
                f"T_x = {config.T_x}, m = {config.m}).")
    sampled = f"{entries} randomly chosen {'entry' if entries == 1 else 'entries'}"
    return (f"At this size a full check would take long, so each array has {sampled} "
            "checked (chosen with the configuration's seed; fewer where an entry needs "
            "smaller steps). Make the network smaller in the sidebar to check every entry.")


def check_agreement(threshold: float) -> str:
    """The sentence when every array passes."""
    return (f"Every relative error is below {power_of_ten(threshold)}: BPTT and the finite "
            "differences agree.")


def check_failures(names, threshold: float) -> str:
    """The sentence naming the arrays whose check fails."""
    names = list(names)
    return (f"{listing(names)} {'fails' if len(names) == 1 else 'fail'}: a relative error above "
            f"{power_of_ten(threshold)}, more than round-off and the loss's bend can explain, "
            "means the backward pass and the forward pass disagree.")


def cannot_check(reason: str, checks: dict, threshold: float) -> tuple[str, str]:
    """(the sentence saying why the arrays in `checks` ({name: ArrayCheck}) cannot be checked,
    the label of the link to Gradient flow), for one of rnnviz.engine.gradcheck.REASONS."""
    why, cause = _CANNOT_CHECK[reason]
    resolutions = [check.resolution for check in checks.values() if not np.isnan(check.resolution)]
    gradient = max(check.mean_abs_gradient for check in checks.values())
    return (f"{listing(checks)} cannot be checked here: "
            + why.format(gradient=scientific(gradient),
                         resolution=scientific(max(resolutions, default=np.nan)),
                         threshold=power_of_ten(threshold)) + ".", f"{cause}: see {FLOW.title}")
