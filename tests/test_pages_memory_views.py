"""AppTest: a run's recurrence scrubbed through its snapshots (the Training page's run detail,
and the Memory map page on a snapshot of that run) for the RNN, the LSTM and the GRU: the
eigenvalues drawn are the engine's at the step chosen, the radius line is each snapshot's."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest
from apptest_charts import array
from streamlit.testing.v1 import AppTest

from rnnviz.app import contents
from rnnviz.app import memory as words
from rnnviz.app.runs import Run
from rnnviz.engine import CELLS
from rnnviz.engine.eigen import recurrent_spectra
from rnnviz.training.settings import TrainConfig
from rnnviz.training.trainer import Trainer
from rnnviz.ui import scrub, state
from rnnviz.ui import training as tr
from rnnviz.ui.run_detail import snapshot_place, snapshot_widget

# the snapshot sliders of run 1: on Training, and on the Memory map opened at step 4
SNAP_SLIDER = snapshot_widget(snapshot_place(1))
SCRUB_SLIDER = snapshot_widget(snapshot_place(1, 4, "rnnviz_mem_scrub"))

ROOT = Path(__file__).resolve().parents[1]
TRAINING = "pages/4_Training.py"
MEMORY = "pages/8_Memory_map.py"
TIMEOUT = 90


def trained_run(cell: str, steps: int = 6, every: int = 2, task: str = "sine") -> Run:
    """A run of `steps` steps with a snapshot every `every`, trained here (no worker)."""
    config = TrainConfig(task=task, cell=cell, n_a=5, m=4, T_x=8, steps=steps,
                         snapshot_every=every, stats_every=0)
    trainer = Trainer(config)
    run = Run(id=1, label=config.label(), config=config, trainer=trainer,
              snapshots=dict(trainer.snapshots), status="stopped")
    for _ in range(steps):
        run.add(trainer.step())
    return run


def figures(at: AppTest) -> dict[str, dict]:
    """{title: figure} of the live charts drawn (the Training page has others too)."""
    data = [json.loads(e.proto.json) for e in at.get("bidi_component")]
    specs = [json.loads(d["figure"]) for d in data if "figure" in d]
    return {spec["layout"]["title"]["text"]: spec for spec in specs}


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def shown_blocks(fig: dict) -> dict[str, np.ndarray]:
    """{legend label: eigenvalues} of a spectrum figure's markers in the legend."""
    return {t["name"]: array(t["x"]) + 1j * array(t["y"]) for t in fig["data"][1:]
            if t.get("showlegend", True)}


def assert_spectrum_of(at: AppTest, run: Run, step: int) -> None:
    """The spectrum chart is the snapshot's, the faint one the first's, the radius line each
    snapshot's largest |λ|, with the step marked."""
    cell = run.config.cell
    labels = words.block_labels(cell)
    first = min(run.snapshots)
    title = f"λ at step {step:,}" + ("" if step == first else f" (faint: step {first:,})")
    fig = figures(at)[title]
    expected = {labels[n]: v for n, v in recurrent_spectra(run.snapshots[step]).items()}
    shown = shown_blocks(fig)
    assert list(shown) == list(expected)
    for label, values in expected.items():
        np.testing.assert_allclose(np.sort_complex(shown[label]), np.sort_complex(values),
                                   atol=1e-12)
    faint = [t for t in fig["data"][1:] if t.get("showlegend") is False]
    assert len(faint) == (0 if step == first else len(expected))
    for trace in faint:
        label = trace["name"].removesuffix(f" (step {first:,})")
        values = recurrent_spectra(run.snapshots[first])
        name = next(n for n, lab in labels.items() if lab == label)
        np.testing.assert_allclose(np.sort_complex(array(trace["x"]) + 1j * array(trace["y"])),
                                   np.sort_complex(values[name]), atol=1e-12)
    radii = figures(at)["Spectral radius over training"]
    steps = sorted(run.snapshots)
    for trace in radii["data"]:
        name = next(n for n, lab in labels.items() if lab == trace["name"])
        np.testing.assert_array_equal(array(trace["x"]), steps)
        np.testing.assert_allclose(
            array(trace["y"]), [np.abs(recurrent_spectra(run.snapshots[s])[name]).max()
                                for s in steps], rtol=1e-12)
    assert {s["x0"] for s in radii["layout"]["shapes"] if s.get("xref") == "x"} == {step}


def training_page_with(run: Run) -> AppTest:
    """The Training page of a session that keeps `run`."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.session_state[tr.RUNS_KEY] = [run]
    at.switch_page(TRAINING).run()
    no_exception(at)
    return at


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_the_training_pages_snapshot_slider_scrubs_the_spectrum(cell):
    run = trained_run(cell)
    at = training_page_with(run)
    assert sorted(run.snapshots) == [0, 2, 4, 6]
    assert_spectrum_of(at, run, 6)
    assert any(m.value.startswith("**Spectral radius from step 0 to step 6:**")
               and "the dashed line, |λ| = 1 (the unit circle's radius)" in m.value
               for m in at.markdown)
    at.select_slider(key=SNAP_SLIDER).set_value(2).run()
    no_exception(at)
    assert_spectrum_of(at, run, 2)
    assert set(at.session_state[scrub.RADII_KEY][1]) == {0, 2, 4, 6}   # each kept once


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_the_memory_map_on_a_snapshot_scrubs_through_its_run(cell):
    run = trained_run(cell)
    at = training_page_with(run)
    at.select_slider(key=SNAP_SLIDER).set_value(4).run()
    at.button(key="rnnviz_tr_open_Memory map").click().run()
    no_exception(at)
    assert any("trained to step 4" in i.value for i in at.info)
    assert_spectrum_of(at, run, 4)
    at.switch_page(MEMORY)   # AppTest reruns the page it was told, not the one switched to
    at.select_slider(key=SCRUB_SLIDER).set_value(0).run()
    no_exception(at)
    assert_spectrum_of(at, run, 0)


def test_the_memory_map_on_initial_weights_says_where_to_scrub():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["T_x"] = "6"
    at.switch_page(MEMORY).run()
    no_exception(at)
    assert not any(t.startswith("Spectral radius over") for t in figures(at))
    assert any("To scrub through training, train a network on the Training page" in i.value
               for i in at.info)


def test_the_radius_line_is_drawn_from_evenly_spaced_snapshots_when_they_are_large():
    steps = list(range(0, 20_001, 100))
    for blocks, n_a in ((1, 8), (4, 64), (4, 128), (4, 256), (1, 256)):
        chosen = words.scrubbed_steps(steps, blocks, n_a)
        assert chosen[0] == 0 and chosen[-1] == 20_000 and chosen == sorted(set(chosen))
        assert len(chosen) == min(len(steps), max(words.FEWEST_SCRUBBED, words.SCRUB_SPECTRA_WORK
                                                  // (blocks * n_a ** 3)))
    assert words.scrubbed_steps(steps, 4, 64) == steps
    assert len(words.scrubbed_steps(steps, 4, 256)) == words.FEWEST_SCRUBBED
    radii = {"Waa": np.array([0.5, 0.9, 1.2])}
    assert "from 3 of the 201 snapshots" in words.radius_sentence([0, 10, 20], radii, 10, 201)
    assert "0.50 → 0.90" in words.radius_sentence([0, 10, 20], radii, 10, 3)


def test_the_radius_sentence_says_what_the_dashed_line_is_and_which_side_the_blocks_are():
    radii = {"Wf[:, :n_a]": np.array([0.5, 0.9, 1.2]), "Wo[:, :n_a]": np.array([0.4, 0.6, 0.8])}
    under = words.radius_sentence([0, 10, 20], radii, 10, 3)
    assert "Wf[:, :n_a] 0.50 → 0.90, Wo[:, :n_a] 0.40 → 0.60. Every block is under the dashed " \
        "line, |λ| = 1 (the unit circle's radius)" in under
    above = words.radius_sentence([0, 10, 20], radii, 20, 3)
    assert "Wf[:, :n_a] 0.50 → 1.20, Wo[:, :n_a] 0.40 → 0.80. A block is on or above the " \
        "dashed line, |λ| = 1" in above
    assert "on or above" in words.radius_sentence([0, 1], {"Waa": np.array([0.9, 1.0])}, 1, 2)


# ----- the states on 2 or 3 principal components ----------------------------------------------

def memory_page(query: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(MEMORY).run()
    no_exception(at)
    return at


def states_figure(at: AppTest) -> dict:
    return figures(at)["How the state moves"]


def markers(fig: dict, name: str | None = None) -> np.ndarray:
    """(k, points) the coordinates of the marker trace named `name` (None: the states
    coloured by t)."""
    trace = next(t for t in fig["data"] if t["mode"] == "markers" and
                 (t["name"] == name if name else t["name"] == "a⟨t⟩"))
    return np.stack([array(trace[axis]) for axis in ("x", "y", "z") if axis in trace])


def assert_states_drawn_in_3d(at: AppTest, a: np.ndarray) -> None:
    """The 3-D scene holds the states a (n_a, m, T_x) on their first three components, its
    axes name each one's share, and the sentence gives them."""
    fig = states_figure(at)
    assert {t["type"] for t in fig["data"]} == {"scatter3d"}
    mean, components, share = words.principal_components(a, 3)
    expected = words.project(a, mean, components).reshape(3, -1)
    np.testing.assert_allclose(markers(fig), expected, atol=1e-9)
    titles = [fig["layout"]["scene"][f"{axis}axis"]["title"]["text"] for axis in "xyz"]
    assert titles == [f"PC{k + 1} ({s:.0%} of variance)" for k, s in enumerate(share)]
    assert any(m.value.startswith(words.variance_sentence(share)) for m in at.markdown)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_three_components_draw_the_states_in_space_on_initial_weights(cell):
    from rnnviz.app.build import build
    from rnnviz.app.config import Config

    at = memory_page({"cell": cell, "input": "gaussian", "n_a": "6", "T_x": "9", "pcs": "3"})
    assert_states_drawn_in_3d(
        at, build(Config(cell=cell, input="gaussian", n_a=6, T_x=9)).forward().a)
    at.radio(key=state.widget_key("pcs", contents.MEMORY)).set_value("2").run()   # a plane
    fig = states_figure(at)
    assert {t["type"] for t in fig["data"]} == {"scatter"}
    assert "scene" not in fig["layout"]
    assert fig["layout"]["xaxis"]["title"]["text"].startswith("PC1 (")


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_three_components_on_a_snapshot_are_the_snapshots_states(cell):
    from rnnviz.app.build import build
    from rnnviz.app.runs import view_config

    run = trained_run(cell)
    at = training_page_with(run)
    at.button(key="rnnviz_tr_open_Memory map").click().run()
    at.switch_page(MEMORY)
    at.query_params["pcs"] = "3"
    at.run()
    no_exception(at)
    built = build(view_config(run.config))
    snapshot = dataclasses.replace(built, params=run.snapshots[6])
    assert_states_drawn_in_3d(at, snapshot.forward().a)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_on_the_sine_wave_each_path_goes_round_once_per_period(cell):
    from rnnviz.app.build import build
    from rnnviz.app.config import Config

    at = memory_page({"cell": cell, "input": "sine", "T_x": "60"})
    built = build(Config(cell=cell, input="sine", T_x=60))
    plane = markers(states_figure(at)).reshape(2, built.x.shape[1], 60)[:, :, SETTLED:]
    for example, path in enumerate(plane.transpose(1, 0, 2)):
        centred = path - path.mean(axis=1, keepdims=True)
        angle = np.unwrap(np.arctan2(centred[1], centred[0]))
        turns = abs(angle[-1] - angle[0]) / (2 * np.pi)
        wave = built.targets[0, example, SETTLED - 1:]   # the noise-free wave's periods
        periods = np.count_nonzero(np.diff(np.sign(wave))) / 2
        assert turns >= 1.5 and abs(turns - periods) <= LOOP_SLACK, (example, turns, periods)


SETTLED = 10     # steps the state takes to settle on the wave, left out
LOOP_SLACK = 0.75   # turns against periods counted from sign changes (each ±0.5); measured ≤ 0.5


def separation(points: np.ndarray, held: np.ndarray) -> float:
    """The least distance between two symbols' centres over the root-mean-square distance
    of the states (k, examples) from their own symbol's centre."""
    centres = {k: points[:, held == k].mean(axis=1) for k in np.unique(held)}
    own = np.stack([centres[k] for k in held], axis=1)
    within = np.sqrt(np.mean(np.sum((points - own) ** 2, axis=0)))
    return min(np.linalg.norm(centres[i] - centres[j]) for i in centres for j in centres
               if i < j) / within


def test_a_trained_copy_network_keeps_one_cluster_per_symbol():
    from rnnviz.app.build import build
    from rnnviz.app.runs import view_config
    from rnnviz.training.bundled import load

    at = memory_page({"network": "copy-lstm", "pcs": "3"})
    config = view_config(load("copy-lstm").trained.config)
    built = build(config)
    held, names = built.task.labels(built.targets)   # copy: one symbol per example, held
    fig = states_figure(at)                           # at every step
    drawn = [k for k in range(len(names)) if (held[:, -1] == k).any()]
    last = np.concatenate([markers(fig, names[k]).reshape(3, -1, config.T_x)[:, :, -1]
                           for k in drawn], axis=1)   # (3, m) at t = T_x, by symbol
    by_symbol = np.concatenate([np.flatnonzero(held[:, -1] == k) for k in drawn])
    assert len(drawn) > 4 and separation(last, held[by_symbol, -1]) > CLUSTERED
    initial = built.forward().a   # the same batch on the initial weights: no clusters
    mean, components, _ = words.principal_components(initial, 3)
    assert separation(words.project(initial[:, :, -1], mean, components), held[:, -1]) < 1


def test_the_copy_network_has_no_point_the_search_reaches_and_the_page_says_how_slow_it_got():
    from rnnviz.app.build import build
    from rnnviz.app.runs import view_config
    from rnnviz.engine.fixed_points import SLOW
    from rnnviz.engine.lstm import lstm_step_forward
    from rnnviz.engine.model import forward
    from rnnviz.training.bundled import load

    at = memory_page({"network": "copy-lstm", "pcs": "3"})
    said = next(m.value for m in at.markdown if "the search found" in m.value)
    assert "**no fixed or slow point**" in said
    slowest = float(re.search(r"the slowest by ([\d.e+-]+) a step", said).group(1))
    assert slowest > np.sqrt(2 * SLOW)   # slower than a slow point, else it would be one
    # its cell state does not settle: held at input 0 it keeps growing from where runs go
    trained = load("copy-lstm").trained
    trace = forward(trained.params, build(view_config(trained.config)).x)
    a, c = trace.a[:, :, -1], trace.c[:, :, -1]
    for _ in range(200):
        a, c, _ = lstm_step_forward(np.zeros((trace.x.shape[0], a.shape[1])), a, c,
                                    trained.params)
    assert np.abs(c).max() > 3 * np.abs(trace.c).max()


# between-cluster distance over within-cluster spread at t = T_x: measured 87 on the
# ready-trained copy LSTM and 0.30 on its initial weights
CLUSTERED = 20


def test_a_link_with_a_bad_number_of_components_is_refused_by_name_and_draws_the_plane():
    at = memory_page({"cell": "gru", "input": "gaussian", "n_a": "4", "T_x": "6", "pcs": "7"})
    assert any("pcs" in w.value.replace("\\", "") for w in at.warning)
    assert {t["type"] for t in states_figure(at)["data"]} == {"scatter"}
