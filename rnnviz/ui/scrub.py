"""A run's recurrence scrubbed through its snapshots: each recurrent block's eigenvalues at
the snapshot chosen, over the first snapshot's (faint), beside each block's spectral radius
over training. On the Training page under a run's snapshots, and on the Memory map page when
it shows a snapshot of a run the session keeps.

The spectral radii are kept in ``st.session_state`` under RADII_KEY, {run id: {step: {block
label: radius}}}: a snapshot never changes, so each one's eigenvalues are computed once per
session, and only its few radii are kept. The eigenvalues drawn come from a cache of the
server's (`snapshot_spectra`).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from rnnviz.app import memory as words
from rnnviz.app.config import Config
from rnnviz.app.runs import Run
from rnnviz.engine import CELLS
from rnnviz.engine.eigen import recurrent_spectra, spectra_through
from rnnviz.figures import memory as figures
from rnnviz.ui import cache, page, run_detail, training

RADII_KEY = "rnnviz_run_radii"


@cache.data(max_entries=32, ttl=cache.CACHE_TTL, show_spinner=False)
def snapshot_spectra(cell: str, params: dict) -> dict[str, np.ndarray]:
    """{block label: (n_a,) eigenvalues} of one parameter set's recurrent blocks."""
    labels = words.block_labels(cell)
    spectra = recurrent_spectra(CELLS[cell].params.from_dict(params))
    return {labels[name]: values for name, values in spectra.items()}


def run_radii(run: Run, steps: list[int]) -> dict[str, np.ndarray]:
    """{block label: (len(steps),) spectral radius at each of these snapshots}, each
    snapshot's computed once per session (RADII_KEY); runs no longer kept are forgotten."""
    kept = st.session_state.setdefault(RADII_KEY, {})
    for gone in set(kept) - {r.id for r in training.runs()}:
        del kept[gone]
    known = kept.setdefault(run.id, {})
    missing = [step for step in steps if step not in known]
    if missing:
        labels = words.block_labels(run.config.cell)
        through = spectra_through([run.snapshots[step] for step in missing])
        for k, step in enumerate(missing):
            known[step] = {labels[name]: float(np.abs(values[k, 0]))
                           for name, values in through.items()}
    return {label: np.array([known[step][label] for step in steps]) for label in known[steps[0]]}


def spectrum_through_training(run: Run, step: int, key: str) -> None:
    """The snapshot's spectrum over the first snapshot's, the spectral radius over the run's
    snapshots, and what they say."""
    cell, kept = run.config.cell, sorted(run.snapshots)
    blocks = len(CELLS[cell].projections)
    steps = sorted({*words.scrubbed_steps(kept, blocks, run.snapshots[step].sizes["n_a"]), step})
    radii = run_radii(run, steps)
    shown = snapshot_spectra(cell, run.snapshots[step].as_dict())
    first = None if step == kept[0] else snapshot_spectra(cell, run.snapshots[kept[0]].as_dict())
    title = f"λ at step {step:,}"
    left, right = st.columns(2)
    with left:
        page.live_chart(figures.spectrum(
            shown, title + ("" if first is None else f" (faint: step {kept[0]:,})"),
            behind=first, behind_name=f"step {kept[0]:,}"), key=f"{key}_spectrum")
    with right:
        page.live_chart(figures.spectral_radii(steps, radii, step), key=f"{key}_radii")
    st.markdown(words.radius_sentence(steps, radii, step, len(kept)))


def on_memory_map(config: Config) -> None:
    """On the Memory map page: the open snapshot's run scrubbed through its snapshots, or
    where to do it."""
    snapshot = training.snapshot_for(config)
    run = None if snapshot is None else training.run_with_id(snapshot.run_id)
    if run is None or len(run.snapshots) < 2:
        kept = ("" if run is None else
                f"This network keeps one snapshot only (step {snapshot.step:,}). ")
        st.info(kept + "To scrub through training, train a network on the Training page: "
                "under **Inside one run**, the slider over its snapshots moves its spectrum, "
                "and **Open in Memory map** brings a snapshot here with the same slider.")
        return
    step = run_detail.snapshot_step(run, start=snapshot.step, key="rnnviz_mem_scrub")
    spectrum_through_training(run, step, key="rnnviz_mem_scrub")
