"""AppTest: the Memory map page draws each cell's memory map as the engine computes it, and
one unit by hand follows its sliders and the URL; bad URL values are refused by name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from apptest_charts import array, figures, line_under
from streamlit.testing.v1 import AppTest

from rnnviz.app.build import build, for_cell
from rnnviz.app.chart_readings import factor
from rnnviz.app.config import Config
from rnnviz.app.lab import number
from rnnviz.engine import CELLS, input_saliency
from rnnviz.engine.one_unit import one_unit_run

ROOT = Path(__file__).resolve().parents[1]
MEMORY = "pages/8_Memory_map.py"
TIMEOUT = 60


def open_page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.switch_page(MEMORY)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def maps_figure(at: AppTest) -> dict:
    return next(f for title, f in figures(at).items() if title.startswith("How much output"))


def test_each_cells_map_is_the_engines_on_the_pages_network():
    at = open_page({"T_x": "9", "example": "2"})
    fig = maps_figure(at)
    assert "example 2" in fig["layout"]["title"]["text"]
    assert [t["name"] for t in fig["data"]] == [c.label for c in CELLS.values()]
    for trace, cell in zip(fig["data"], CELLS, strict=True):
        built = build(for_cell(Config(T_x=9), cell))
        S = input_saliency(built.params, built.x, built.a0, example=2, output=built.loss.output)
        shown = array(trace["customdata"]).reshape(9, 9)
        np.testing.assert_allclose(shown, S, rtol=1e-12)
        z = np.array(trace["z"], dtype=float) if isinstance(trace["z"], list) else \
            array(trace["z"]).reshape(9, 9)
        assert np.all(np.isnan(z[np.triu_indices(9, 1)]))   # no later input: drawn empty
    assert any("Reading the last row (t = 9)" in m.value for m in at.markdown)


def test_under_the_maps_a_line_reads_the_log_colour_scale_with_the_squares_range():
    at = open_page({"T_x": "9", "example": "2"})
    maps = [input_saliency(b.params, b.x, b.a0, example=2, output=b.loss.output)
            for b in (build(for_cell(Config(T_x=9), cell)) for cell in CELLS)]
    squares = np.concatenate([S[S > 0] for S in maps])
    low, high = squares.min(), squares.max()
    ticks = maps_figure(at)["layout"]["coloraxis"]["colorbar"]["tickvals"]
    times = {1: "ten", 2: "a hundred"}[ticks[1] - ticks[0]]
    assert line_under(at, "How much output") == (
        f"Each colour-bar label is {times} times the one below (one scale for all the maps): "
        f"squares run from {number(low)} (dark) to {number(high)} (bright), a factor of "
        f"{factor(high, low)}; empty ones are 0.")


def test_under_one_units_gain_a_line_reads_the_log_axis_with_its_numbers():
    at = open_page({"w": "0.5", "unit_steps": "12"})
    _, gain = one_unit_run(0.5, 1.0, 0.0, 0.0, 0.5, 12)
    line = line_under(at, "What a⟨T⟩ hands back to a⟨1⟩")
    assert line.startswith("Each gridline is ten times the one below: |∂a⟨T⟩/∂a⟨1⟩| fell from "
                           f"1 at T = 1 to {number(abs(gain[-1]))} at T = 12, a factor of "
                           f"{factor(1.0, abs(gain[-1]))}")
    assert f"× {number(abs(gain[-1]) ** (1 / 11))} a step on average." in line
    at = open_page({"w": "0", "unit_steps": "12"})   # the gain is 0 from T = 2 on: not drawn
    assert line_under(at, "What a⟨T⟩ hands back to a⟨1⟩").endswith(
        "is 1 at T = 1; then it is 0, which a log axis cannot draw, so the line stops.")


def test_one_unit_follows_its_sliders():
    at = open_page()
    before = figures(at)["What a⟨T⟩ hands back to a⟨1⟩"]
    w = next(s for s in at.slider if s.label.startswith("w "))
    w.set_value(2.5).run()
    assert not at.exception
    after = figures(at)["What a⟨T⟩ hands back to a⟨1⟩"]
    _, gain = one_unit_run(2.5, 1.0, 0.0, 0.0, 0.5, 30)
    np.testing.assert_allclose(np.array(after["data"][0]["y"], dtype=float), np.abs(gain))
    assert after["data"][0]["y"] != before["data"][0]["y"]
    sentence = next(m.value for m in at.markdown if m.value.startswith("**∂a⟨30⟩/∂a⟨1⟩"))
    assert "|w| = 2.5 ≥ 1" in sentence and f"{gain[-1]:.2e}" in sentence


def test_a_lesson_link_sets_one_unit_and_bad_values_are_named():
    at = open_page({"w": "0.5", "unit_steps": "12"})
    sentence = next(m.value for m in at.markdown if m.value.startswith("**∂a⟨12⟩"))
    assert "|w| = 0.5 < 1" in sentence
    at = open_page({"w": "lots", "b": "99", "unit_steps": "0"})
    warned = " ".join(w.value for w in at.warning).replace("\\", "")
    for name in ("w", "b", "unit_steps"):
        assert name in warned
    assert any(m.value.startswith("**∂a⟨30⟩") for m in at.markdown)   # the defaults kept


def test_maps_too_large_for_the_server_are_not_drawn_and_say_why():
    at = open_page({"n_a": "256", "n_y": "64", "T_x": "200", "input": "gaussian"})
    assert not any(t.startswith("How much output") for t in figures(at))
    assert any("drawn up to about n_a = 128 and T_x = 100" in i.value for i in at.info)
    assert any(m.value.startswith("**∂a⟨30⟩") for m in at.markdown)   # one unit still there


def test_the_spectrum_shows_each_blocks_eigenvalues_and_the_knobs_radius():
    at = open_page({"cell": "lstm", "input": "gaussian", "spectral_radius": "1.2", "n_a": "6",
                    "T_x": "7"})
    fig = next(f for t, f in figures(at).items() if t == "The LSTM's recurrent weights")
    names = [t["name"] for t in fig["data"][1:]]
    assert names == ["Wf[:, :n_a]", "Wu[:, :n_a]", "Wc[:, :n_a]", "Wo[:, :n_a]"]
    built = build(Config(cell="lstm", input="gaussian", spectral_radius=1.2, n_a=6, T_x=7))
    for trace in fig["data"][1:]:
        shown = array(trace["x"]) + 1j * array(trace["y"])
        W = getattr(built.params, trace["name"][:2])[:, :6]
        np.testing.assert_allclose(np.sort_complex(shown), np.sort_complex(np.linalg.eigvals(W)),
                                   atol=1e-12)
        assert np.max(np.abs(shown)) == pytest.approx(1.2)
    steps = next(f for t, f in figures(at).items() if t.startswith("J⟨t⟩ along example 0"))
    assert len(array(steps["data"][1]["x"])) == 7 * 12   # T_x steps, 2 n_a eigenvalues each
    # side by side, the two planes are the same size: the colour bar of t lies below, where
    # the legend lies beside it, not at the side where it would narrow the square plot
    bar = steps["data"][1]["marker"]["colorbar"]
    assert bar["orientation"] == "h" and bar["yref"] == "container" and bar["y"] == 0
    assert bar["tickprefix"] == "t = "
    for setting in ("height", "margin"):
        assert steps["layout"][setting] == fig["layout"][setting]
    assert any(m.value.startswith("**Spectral radii (largest |λ|):** Wf[:, :n_a] 1.20")
               for m in at.markdown)


def test_step_spectra_too_large_for_the_server_say_why():
    at = open_page({"cell": "lstm", "n_a": "128", "T_x": "60", "input": "gaussian"})
    assert not any(t.startswith("J⟨t⟩") for t in figures(at))
    assert any("step Jacobians' eigenvalues are shown up to" in i.value for i in at.info)


def test_the_states_on_their_plane_with_the_fixed_points_the_engine_finds():
    from rnnviz.app import memory as words
    from rnnviz.engine.fixed_points import find_state_points

    at = open_page({"input": "flipflop", "cell": "rnn", "n_a": "8", "T_x": "20",
                    "weight_scale": "2.5"})
    fig = figures(at)["How the state moves"]
    names = {t.get("name") for t in fig["data"]}
    built = build(Config(input="flipflop", cell="rnn", n_a=8, T_x=20, weight_scale=2.5))
    trace = built.forward()
    labels, label_names = built.task.labels(built.targets)
    assert {label_names[k] for k in np.unique(labels)} <= names   # coloured by the bits held
    visited = trace.a.reshape(8, -1)
    chosen = np.random.default_rng(0).choice(visited.shape[1], 128, replace=False)
    points = find_state_points(built.params, visited[:, chosen], iterations=500)
    stable = sum(p.stable for p in points)
    shown = sum(len(t["x"]) for t in fig["data"] if t.get("name") == "stable fixed point")
    assert shown == stable
    _, _, share = words.principal_components(trace.a, 2)
    assert any(m.value == words.points_sentence(points, share) for m in at.markdown)
