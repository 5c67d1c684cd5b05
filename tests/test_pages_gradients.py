"""AppTest: the gradient-flow and gradient-check pages run, and every control acts."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl

import numpy as np
import pytest
import streamlit as st
from apptest_charts import array, figures, line_under
from streamlit.testing.v1 import AppTest

from rnnviz.app import contents
from rnnviz.app.build import build
from rnnviz.app.config import Config
from rnnviz.app.lab import number
from rnnviz.engine import CELLS, analysis, model
from rnnviz.engine.losses import Loss
from rnnviz.figures import style
from rnnviz.ui import gradients as gf
from rnnviz.ui import sidebar, state
from rnnviz.ui import training as ui_training

ROOT = Path(__file__).resolve().parents[1]
FLOW, CHECK = "pages/3_Gradient_flow.py", "pages/5_Gradient_check.py"
TIMEOUT = 60


def open_page(page: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.switch_page(page)
    return at.run()


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def readout(at: AppTest, cell: str) -> float:
    """The exponent of a cell's ‖∂s⟨T_x⟩/∂s⟨0⟩‖ metric, e.g. "10^-3.2" -> -3.2."""
    metric = next(m for m in at.metric if m.label.startswith(cell.upper()) and "∂s" in m.label)
    return float(re.fullmatch(r"10\^(-?[\d.]+)", metric.value).group(1))


QUERY = {"input": "gaussian", "n_a": "12", "T_x": "25", "m": "4", "cell": "rnn"}


def test_gradient_flow_page_overlays_every_cell_with_every_chart():
    at = open_page(FLOW, QUERY)
    no_exception(at)
    charts = figures(at)
    flow = next(spec for title, spec in charts.items() if title.startswith("Gradient flowing"))
    names = [trace["name"] for trace in flow["data"]]
    assert names == ["RNN ‖∂L/∂a⟨t⟩‖", "LSTM ‖∂L/∂a⟨t⟩‖", "LSTM ‖∂L/∂c⟨t⟩‖",
                     "GRU ‖∂L/∂a⟨t⟩‖"]
    # each cell in its own colour, the GRU's distinct from the RNN's and the LSTM's
    colours = {trace["name"].split()[0]: trace["line"]["color"] for trace in flow["data"]}
    assert len(set(colours.values())) == 3
    assert len(array(flow["data"][0]["x"])) == 25
    assert flow["layout"]["yaxis"]["type"] == "log"
    assert "last step only" in next(iter(charts))  # the default: the clearest picture
    assert any(t.startswith("Stretch of one step") for t in charts)
    assert any(t.startswith("Reach back") for t in charts)
    assert any(t.startswith("RNN: ∂L/∂a⟨t⟩ (example 0)") for t in charts)
    assert readout(at, "rnn") < 0 and np.isfinite(readout(at, "lstm"))
    assert np.isfinite(readout(at, "gru"))
    table = at.dataframe[0].value
    assert list(table["parameter"]) == ["Wax", "Waa", "ba", "Wya", "by",
                                        "Wf", "bf", "Wu", "bu", "Wc", "bc", "Wo", "bo",
                                        "Wy", "by",
                                        "Wr", "br", "Wu", "bu", "Wc", "bc", "Wy", "by"]


@pytest.mark.parametrize("where", ["all", "last"])
def test_the_flow_report_places_the_loss_where_asked(where):
    config = Config(cell="lstm", input="gaussian", n_a=4, m=3, T_x=5)
    report = gf.flow_report(config, where, 1)
    setup = build(config)
    trace = model.forward(setup.params, setup.x, setup.a0, output=setup.loss.output)
    expected = model.backward(setup.params, trace, setup.targets, Loss("cross_entropy", where))
    assert report["loss"] == pytest.approx(expected.loss)
    np.testing.assert_allclose(report["dA"], expected.dA[:, 1, :])
    assert set(report["flow"]) == {"a", "c"}
    np.testing.assert_allclose(report["flow"]["c"], expected.flow_norms()["c"])
    norms, _ = analysis.jacobian_readouts(setup.params, trace, 1)
    np.testing.assert_allclose(report["jacobian"], norms)


@pytest.mark.parametrize("where", ["all", "last"])
def test_the_flow_report_truncates_bptt_when_asked(where):
    config = Config(cell="gru", input="gaussian", n_a=4, m=3, T_x=7)
    report = gf.flow_report(config, where, 1, truncate=2)
    setup = build(config)
    trace = model.forward(setup.params, setup.x, setup.a0, output=setup.loss.output)
    expected = model.backward(setup.params, trace, setup.targets, Loss("cross_entropy", where),
                              truncate=2)
    np.testing.assert_allclose(report["dA"], expected.dA[:, 1, :])
    full = gf.flow_report(config, where, 1)
    assert not np.allclose(report["flow"]["a"], full["flow"]["a"])


def test_moving_where_the_loss_sits_or_the_truncation_does_not_chain_the_jacobians_again(
        monkeypatch):
    st.cache_data.clear()
    calls = []
    readouts = analysis.jacobian_readouts
    monkeypatch.setattr(analysis, "jacobian_readouts",
                        lambda *args, **kw: calls.append(args[2]) or readouts(*args, **kw))
    config = Config(cell="lstm", input="gaussian", n_a=4, m=3, T_x=7)
    first = gf.flow_report(config, "all", 1)
    for where, truncate in (("last", 0), ("all", 3), ("last", 2)):
        again = gf.flow_report(config, where, 1, truncate=truncate)
        np.testing.assert_array_equal(again["jacobian"], first["jacobian"])
    assert calls == [1]
    gf.flow_report(config, "all", 2)   # another example has its own Jacobians
    assert calls == [1, 2]


def test_a_truncation_on_the_page_cuts_the_flow_k_steps_before_the_last_loss():
    at = open_page(FLOW, {**QUERY, "where": "last", "truncate": "3"})
    no_exception(at)
    flow = next(spec for title, spec in figures(at).items() if title.startswith("Gradient flowing"))
    T_x = len(array(flow["data"][0]["x"]))
    for trace in flow["data"]:
        ys = trace["y"] if isinstance(trace["y"], list) else list(array(trace["y"]))
        assert all(y is None for y in ys[: T_x - 3]) and all(y is not None for y in ys[-3:])
    assert any(f"nothing reaches t ≤ {T_x - 3}" in c.value for c in at.caption)
    assert at.slider(key=state.WIDGET_PREFIX + "truncate").value == 3


def test_with_the_loss_at_every_step_the_truncation_caption_speaks_of_that_loss():
    at = open_page(FLOW, {**QUERY, "where": "all", "truncate": "3"})
    no_exception(at)
    captions = [c.value for c in at.caption if c.value.startswith("Truncated BPTT")]
    assert len(captions) == 1
    assert "hears only the losses of steps t to t + 2" in captions[0]
    assert "last step" not in captions[0] and "nothing reaches" not in captions[0]


def test_under_the_flow_a_line_reads_the_log_axis_with_the_fall_of_the_steepest_cell():
    at = open_page(FLOW, QUERY)
    no_exception(at)
    flow = next(spec for title, spec in figures(at).items() if title.startswith("Gradient flowing"))
    ends = {trace["name"]: np.asarray(trace["y"] if isinstance(trace["y"], list)
                                      else array(trace["y"]), dtype=float)[[0, -1]]
            for trace in flow["data"]}
    steepest = max(ends, key=lambda name: ends[name][1] / ends[name][0])
    label = steepest.split()[0]
    first, last = ends[steepest]
    line = line_under(at, "Gradient flowing", paragraphs=1)   # after "How to read it"
    assert line.startswith(f"Each gridline is ten times the one below: the {label}'s "
                           f"‖∂L/∂a⟨t⟩‖ fell from {number(last)} at t = 25 to "
                           f"{number(first)} at t = 1, a factor of ")
    assert f"× {number((first / last) ** (1 / 24))} a step on average." in line


def test_under_a_truncated_flow_the_line_says_where_it_stops():
    at = open_page(FLOW, {**QUERY, "where": "last", "truncate": "3"})
    line = line_under(at, "Gradient flowing", paragraphs=1)
    assert " at t = 23, a factor of " in line
    assert line.endswith("; then it is 0, which a log axis cannot draw, so the line stops.")


def test_moving_the_loss_to_every_step_changes_the_picture_and_is_remembered():
    at = open_page(FLOW, QUERY)
    at.radio(key=state.WIDGET_PREFIX + "where").set_value("all").run()
    no_exception(at)
    assert any("every step" in title for title in figures(at))
    at.switch_page("app.py").run()
    at.switch_page(FLOW).run()
    assert at.radio(key=state.WIDGET_PREFIX + "where").value == "all"


def test_spectral_radius_knob_changes_the_shared_config_and_the_vanishing():
    at = open_page(FLOW, {**QUERY, "spectral_radius": "1.5"})
    wide = readout(at, "rnn")
    at.slider(key=sidebar.KNOB_PREFIX + "spectral_radius").set_value(0.3).run()
    no_exception(at)
    assert at.session_state[state.CONFIG_KEY].spectral_radius == 0.3
    assert readout(at, "rnn") < wide - 3  # a smaller radius: far less reaches back
    assert at.query_params["spectral_radius"] == "0.3"


def test_a_weight_knob_on_the_notebook_input_switches_to_gaussian_and_says_so():
    at = open_page(FLOW)
    assert at.session_state[state.CONFIG_KEY].input == "notebook"
    at.slider(key=sidebar.KNOB_PREFIX + "weight_scale").set_value(2.0).run()
    no_exception(at)
    config = at.session_state[state.CONFIG_KEY]
    assert config.input == "gaussian" and config.weight_scale == 2.0
    assert any("random Gaussian" in c.value for c in at.caption)


def test_a_bias_knob_on_the_notebook_input_shifts_the_drawn_bias_and_keeps_the_input():
    at = open_page(FLOW)
    at.slider(key=sidebar.KNOB_PREFIX + "gru_bu").set_value(-2.0).run()
    no_exception(at)
    config = at.session_state[state.CONFIG_KEY]
    assert config.input == "notebook" and config.gru_bu == -2.0
    assert not any("is now random Gaussian" in c.value for c in at.caption)


def test_the_memory_bias_knobs_and_T_x_knob_act():
    at = open_page(FLOW, QUERY)
    lstm_before, gru_before = readout(at, "lstm"), readout(at, "gru")
    at.slider(key=sidebar.KNOB_PREFIX + "lstm_bf").set_value(6.0).run()
    assert readout(at, "lstm") > lstm_before  # forget gates near 1 keep the gradient
    assert readout(at, "gru") == gru_before   # the LSTM's knob leaves the GRU alone
    at.slider(key=sidebar.KNOB_PREFIX + "gru_bu").set_value(-6.0).run()
    assert readout(at, "gru") > gru_before    # update gates near 0 keep it too
    at.slider(key=sidebar.KNOB_PREFIX + "T_x").set_value(9).run()
    no_exception(at)
    assert at.session_state[state.CONFIG_KEY].T_x == 9
    flow = next(s for t, s in figures(at).items() if t.startswith("Gradient flowing"))
    assert len(array(flow["data"][0]["x"])) == 9


def test_the_heatmap_shows_the_configurations_cell_first():
    at = open_page(FLOW, {**QUERY, "cell": "gru"})
    no_exception(at)
    assert at.radio(key="rnnviz_gf_heat_cell").value == "gru"
    assert any(t.startswith("GRU: ∂L/∂a⟨t⟩") for t in figures(at))


def test_example_and_heatmap_cell_choices_change_the_heatmap():
    at = open_page(FLOW, QUERY)
    at.selectbox(key=state.WIDGET_PREFIX + "example").set_value(3).run()
    at.radio(key="rnnviz_gf_heat_cell").set_value("lstm").run()
    no_exception(at)
    assert any(t.startswith("LSTM: ∂L/∂a⟨t⟩ (example 3)") for t in figures(at))


def test_clipping_threshold_decides_whether_the_step_is_clipped():
    at = open_page(FLOW, QUERY)
    at.number_input(key="rnnviz_gf_tau").set_value(1e6).run()
    assert sum("not clipped" in m.value for m in at.markdown) == len(CELLS)  # one per cell
    table = at.dataframe[0].value
    np.testing.assert_allclose(table["after clipping"], table["‖∂L/∂W‖"])
    at.number_input(key="rnnviz_gf_tau").set_value(1e-3).run()
    no_exception(at)
    assert sum(m.value.startswith("**Clipped**") for m in at.markdown) == len(CELLS)
    table = at.dataframe[0].value
    assert list(dict.fromkeys(table["cell"])) == [cell.label for cell in CELLS.values()]
    for cell in table["cell"].unique():
        rows = table[table["cell"] == cell]
        assert np.sqrt(np.sum(rows["after clipping"] ** 2)) == np.float64(1e-3).round(12) \
            or abs(np.sqrt(np.sum(rows["after clipping"] ** 2)) - 1e-3) < 1e-12


def test_hostile_query_strings_give_a_message_not_an_exception():
    at = open_page(FLOW, {"n_a": "-4", "T_x": "<script>", "spectral_radius": "1e999"})
    no_exception(at)
    assert len(at.warning) >= 3


def test_large_sizes_use_the_estimates_and_say_what_was_not_computed():
    at = open_page(FLOW, {"input": "gaussian", "n_a": "100", "T_x": "8", "m": "2"})
    no_exception(at)
    assert np.isfinite(readout(at, "rnn"))  # a state of 100 numbers: product computed
    lstm = next(m for m in at.metric if m.label.startswith("LSTM") and "∂s" in m.label)
    assert lstm.value == "not computed"  # 200 numbers: above the product's limit


def test_an_open_training_snapshot_is_shown_for_its_own_configuration_only():
    config = Config(cell="rnn", n_x=3, n_a=4, n_y=2, m=3, T_x=5, seed=2, input="gaussian")
    trained = build(config).params.map(lambda w: 0.5 * w)
    at = open_page(FLOW, {k: str(v) for k, v in config.to_query().items()})
    at.session_state[ui_training.SNAPSHOT_KEY] = ui_training.OpenSnapshot(
        config=config, params=trained.as_dict(), step=40, run_label="test run")
    at.run()
    no_exception(at)
    assert any("trained to step 40" in i.value for i in at.info)
    flow = next(s for t, s in figures(at).items() if t.startswith("Gradient flowing"))
    assert [trace["name"] for trace in flow["data"]] == ["RNN ‖∂L/∂a⟨t⟩‖"]
    at.button(key="rnnviz_close_snapshot").click().run()
    no_exception(at)
    assert ui_training.SNAPSHOT_KEY not in at.session_state
    flow = next(s for t, s in figures(at).items() if t.startswith("Gradient flowing"))
    assert len(flow["data"]) == sum(cell.state_size for cell in CELLS.values())  # every cell


def test_gradient_check_page_checks_every_parameter_and_they_pass():
    at = open_page(CHECK)
    no_exception(at)
    assert not at.dataframe  # nothing runs before the button
    at.button(key="rnnviz_gc_run").click().run()
    no_exception(at)
    table = at.dataframe[0].value
    assert list(table["array"]) == ["Wf", "bf", "Wu", "bu", "Wc", "bc", "Wo", "bo", "Wy", "by"]
    assert (table["result"] == "pass").all()
    assert (table["relative error"].astype(float) < 1e-7).all()
    assert (table["mean |∂L/∂θ|"].astype(float) > 0).all()
    assert table["entries checked"].iloc[0] == "40 of 40"
    assert at.success and "Every relative error is below 10⁻⁵" in at.success[0].value
    assert not at.warning and not at.error
    at.checkbox(key="rnnviz_gc_inputs").check().run()
    at.button(key="rnnviz_gc_run").click().run()
    assert {"x", "a0", "c0"} <= set(at.dataframe[0].value["array"])


def test_gradient_check_samples_entries_at_large_sizes_and_says_so():
    at = open_page(CHECK, {"input": "gaussian", "cell": "lstm", "n_a": "64", "T_x": "50",
                           "m": "16"})
    assert any("randomly chosen" in c.value for c in at.caption)
    at.button(key="rnnviz_gc_run").click().run()
    no_exception(at)
    table = at.dataframe[0].value
    plan = gf.check_plan(at.session_state[state.CONFIG_KEY])
    assert table["entries checked"].iloc[0] == f"{plan} of {64 * 67}"
    assert (table["result"] == "pass").all()


def test_checking_the_inputs_too_samples_fewer_entries():
    config = Config(input="gaussian", cell="lstm", n_a=64, T_x=50, m=16)
    assert gf.check_plan(config, include_inputs=True) < gf.check_plan(config)


def test_gradient_check_failures_are_shown_in_red_and_named(monkeypatch):
    import rnnviz.engine.gradcheck as gradcheck
    from rnnviz.engine.model import loss_and_gradients

    def broken(*args, **kwargs):  # a backward pass 1% off in Wax
        trace, result = loss_and_gradients(*args, **kwargs)
        result.grads.Wax[...] *= 1.01
        return trace, result

    st.cache_data.clear()
    monkeypatch.setattr(gradcheck, "loss_and_gradients", broken)
    at = open_page(CHECK, {"cell": "rnn"})
    at.button(key="rnnviz_gc_run").click().run()
    no_exception(at)
    st.cache_data.clear()
    assert at.error and at.error[0].value.startswith("Wax fails: a relative error above 10⁻⁵")
    table = at.dataframe[0].value
    assert table.loc[table["array"] == "Wax", "result"].item() == "FAIL"
    assert (table.loc[table["array"] != "Wax", "result"] == "pass").all()


# The configuration: the notebook's LSTM with n_a = 64, T_x = 50 reported 8 failing
# arrays; and an RNN on the notebook's draws whose gradient explodes to ~1e15.
STEEP_LSTM = {"n_a": "64", "T_x": "50"}
EXPLODING_RNN = {"cell": "rnn", "n_a": "32", "T_x": "100"}


def run_check(query: dict) -> AppTest:
    st.cache_data.clear()
    at = open_page(CHECK, query)
    at.button(key="rnnviz_gc_run").click().run()
    no_exception(at)
    return at


def test_a_steep_lstm_that_one_step_called_wrong_passes():
    at = run_check(STEEP_LSTM)
    table = at.dataframe[0].value
    assert (table["result"] == "pass").all(), table
    assert not at.error and at.success


def test_where_the_gradient_explodes_the_page_says_it_cannot_check_and_links_to_gradient_flow():
    at = run_check({**EXPLODING_RNN, "hide": "presets"})
    table = at.dataframe[0].value.set_index("array")
    assert list(table["result"]) == ["cannot be checked"] * 3 + ["pass"] * 2
    assert not at.error  # nothing is called a failure
    sentence = at.warning[0].value
    assert sentence.startswith("Wax, Waa and ba cannot be checked here: with gradients of ")
    assert re.search(r"gradients of \d\.\de\+1\d the loss moves too abruptly", sentence)
    # the largest mean |gradient| of the three (which one it is moves with the processor's
    # round-off, the gradients being near 1e16)
    unchecked = table.loc[["Wax", "Waa", "ba"], "mean |∂L/∂θ|"]
    assert unchecked[unchecked.astype(float).idxmax()] in sentence
    link = at.get("page_link")[0].proto
    assert link.label == "The gradient explodes here: see Gradient flow"
    assert link.page == contents.FLOW.url_path
    # the link opens Gradient flow on the same network, with the loss where the check put it
    flow = open_page(FLOW, dict(parse_qsl(link.query_string)))
    no_exception(flow)
    assert flow.session_state[state.CONFIG_KEY] == at.session_state[state.CONFIG_KEY]
    assert flow.session_state[state.HIDDEN_KEY] == {"presets"}  # a lesson's hidden controls too
    assert flow.radio(key=state.WIDGET_PREFIX + "where").value == "all"


def shown_texts(at: AppTest) -> list[str]:
    """Every text the page shows: its elements' and every cell of its tables."""
    texts = [e.value for kind in ("markdown", "caption", "success", "error", "warning", "info")
             for e in at.get(kind)]
    texts += [link.proto.label for link in at.get("page_link")]
    for frame in at.dataframe:
        texts += [str(cell) for row in frame.value.itertuples(index=False) for cell in row]
    return texts


@pytest.mark.parametrize("query", [{}, STEEP_LSTM, EXPLODING_RNN], ids=["notebook", "steep",
                                                                         "exploding"])
def test_the_gradient_check_page_shows_no_unformatted_number(query):
    at = run_check(query)
    # more than two significant digits, a long run of digits, or Python's "1e-05"
    raw = re.compile(r"\d\.\d{3,}|\d{9,}|(?<![\d.])\de[-+]?\d")
    unformatted = [text for text in shown_texts(at) if raw.search(text)]
    assert not unformatted, unformatted


def test_check_table_is_coloured_by_result():
    import pandas as pd

    table = pd.DataFrame({"array": ["Wax", "Waa", "ba"], "relative error": ["1.0e-09", "2.0e-01",
                                                                            "1.0e+00"],
                          "mean |∂L/∂θ|": ["1.0e+00", "1.0e+00", "7.4e+42"],
                          "result": ["pass", "FAIL", "cannot be checked"]})
    html = gf.styled_check(table).to_html()
    rules = dict(re.findall(r"((?:#T_\w+_row\d_col\d,? ?)+) \{\s*background-color: (#\w+)", html))
    colour = {cell.split("_")[-2] + "_" + cell.split("_")[-1]: c
              for cells, c in rules.items() for cell in cells.replace(",", " ").split()}
    assert {colour[f"row0_col{j}"] for j in range(4)} == {style.PASS_FILL}
    assert {colour[f"row1_col{j}"] for j in range(4)} == {style.FAIL_FILL}
    assert not any(key.startswith("row2_") for key in colour)  # neither pass nor FAIL


def test_with_the_loss_at_every_step_the_page_shows_which_steps_alone_would_clip():
    at = open_page(FLOW, {"input": "gaussian", "cell": "rnn", "n_a": "16", "T_x": "30",
                          "m": "4", "weight_scale": "0.1", "spectral_radius": "3"})
    assert any("choose “every step”" in c.value for c in at.caption)
    at.radio(key=state.WIDGET_PREFIX + "where").set_value("all").run()
    at.number_input(key="rnnviz_gf_tau").set_value(1e6).run()
    no_exception(at)
    spec = figures(at)["Gradient of each step's loss alone"]
    assert [t["name"] for t in spec["data"]] == [cell.label for cell in CELLS.values()]
    assert list(array(spec["data"][0]["x"])) == list(range(1, 31))
    for cell in CELLS.values():
        assert any(f"{cell.label}: no single step's loss would clip" in c.value
                   for c in at.caption), cell.label
    rnn = array(spec["data"][0]["y"]).astype(float)
    tau = float(np.sqrt(rnn[0] * rnn[-1]))  # between the first and the last step's norm
    at.number_input(key="rnnviz_gf_tau").set_value(tau).run()
    caption = next(c.value for c in at.caption if c.value.startswith("RNN: the loss at t ="))
    first = int(re.match(r"RNN: the loss at t = (\d+)", caption).group(1))
    assert first > 1  # the early steps' terms stay below τ; later ones exceed it
    assert (rnn[first - 1:] > 0).all() and rnn[0] < tau < rnn[first - 1]


def test_truncation_at_every_step_is_capped_where_it_would_hold_the_server():
    from rnnviz.app.build import largest_truncation
    from rnnviz.engine.truncation import truncated_steps
    from rnnviz.limits import SIZES, TRUNCATION_WORK

    limits = Config(n_a=SIZES["n_a"], m=SIZES["m"], T_x=SIZES["T_x"], input="gaussian")
    for cells, blocks in ((["rnn"], 1), (["gru"], 3), (["rnn", "lstm", "gru"], 4)):
        k = largest_truncation(limits, cells, "all")
        work = limits.m * limits.n_a ** 2 * blocks
        assert 1 <= k < limits.T_x
        assert truncated_steps(limits.T_x, k) * work <= TRUNCATION_WORK
        assert truncated_steps(limits.T_x, k + 1) * work > TRUNCATION_WORK
        assert largest_truncation(limits, cells, "last") == limits.T_x   # one window
    assert largest_truncation(limits, ["rnn"], "all") == 12
    assert largest_truncation(Config(), list(CELLS), "all") == Config().T_x


def test_the_truncation_slider_stops_at_the_cap_and_says_why():
    query = {"input": "gaussian", "n_a": "128", "m": "64", "T_x": "120", "cell": "rnn",
             "where": "all", "truncate": "100"}
    at = open_page(FLOW, query)
    no_exception(at)
    from rnnviz.app.build import largest_truncation

    config = at.session_state[state.CONFIG_KEY]
    largest = largest_truncation(config, list(CELLS), "all")
    slider = at.slider(key=state.WIDGET_PREFIX + "truncate")
    assert 1 < largest < 100 and (slider.max, slider.value) == (largest, largest)
    assert any(c.value.startswith(f"k goes up to {largest} here") for c in at.caption)
    at.radio(key=state.WIDGET_PREFIX + "where").set_value("last").run()   # one window: any k
    no_exception(at)
    assert at.slider(key=state.WIDGET_PREFIX + "truncate").max == 120
    assert not any(c.value.startswith("k goes up to") for c in at.caption)


def test_in_presentation_mode_the_line_counts_the_gridlines_the_chart_shows():
    from rnnviz.app.chart_readings import gridlines

    at = open_page(FLOW, {"cell": "rnn", "n_a": "32", "m": "8", "T_x": "60",
                          "input": "gaussian", "spectral_radius": "0.8", "present": "1"})
    no_exception(at)
    flow = next(spec for title, spec in figures(at).items() if title.startswith("Gradient flowing"))
    decades = int(flow["layout"]["yaxis"]["dtick"])
    assert decades > 1   # 17 decades in presentation mode's larger type: fewer labels
    assert line_under(at, "Gradient flowing", paragraphs=1).startswith(gridlines(decades) + ":")
