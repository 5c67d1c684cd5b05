"""Readouts: trace slices, the equations' numbers at one step, saturation, tables, notebook."""

import numpy as np
import pytest

from rnnviz.app.build import build
from rnnviz.app.check_words import power_of_ten
from rnnviz.app.config import Config
from rnnviz.app.equations import EQUATIONS, equations, step_latex
from rnnviz.app.flow_readings import flow_reading, growth_reading, jacobian_reading
from rnnviz.app.readouts import (
    NOTEBOOK_LSTM_PRINTED,
    carried_states,
    example_view,
    knob_label,
    knobs_note,
    no_gates_note,
    notebook_lstm_comparison,
    notebook_rnn_printout,
    saturation,
    saturation_metrics,
    saturation_sentences,
    shape_table,
    step_terms,
    trace_table,
    unit_lines,
)
from rnnviz.engine import CELLS
from rnnviz.engine.model import forward

RNN, LSTM, GRU = CELLS["rnn"], CELLS["lstm"], CELLS["gru"]


def _trace(config):
    setup = build(config)
    return setup, forward(setup.params, setup.x, setup.a0, output=setup.loss.output)


@pytest.mark.parametrize("cell", list(CELLS))
def test_example_view_slices_one_example_or_averages_the_batch(cell):
    _, trace = _trace(Config(cell=cell, input="gaussian", n_a=4, m=3, T_x=5))
    view = example_view(CELLS[cell], trace, 2)
    np.testing.assert_array_equal(view["a"], trace.a[:, 2, :])
    np.testing.assert_array_equal(view["y_hat"], trace.y_hat[:, 2, :])
    np.testing.assert_array_equal(view["a0"], trace.a0[:, 2])
    mean = example_view(CELLS[cell], trace, None)
    np.testing.assert_allclose(mean["a"], trace.a.mean(axis=1))
    if cell == "lstm":
        np.testing.assert_array_equal(view["f"], trace.f[:, 2, :])
        np.testing.assert_array_equal(view["c0"], trace.c0[:, 2])
        np.testing.assert_allclose(mean["c_tilde"], trace.c_tilde.mean(axis=1))
    else:
        assert "f" not in view


def test_example_view_refuses_an_example_outside_the_batch():
    _, trace = _trace(Config(input="gaussian", m=2))
    with pytest.raises(ValueError, match="out of range"):
        example_view(LSTM, trace, 2)


@pytest.mark.parametrize("step", [1, 3, 5])
def test_rnn_step_terms_sum_to_the_traces_preactivation(step):
    setup, trace = _trace(Config(cell="rnn", input="gaussian", n_a=4, m=3, T_x=5, seed=2))
    terms = step_terms(RNN, setup.params, example_view(RNN, trace, 1), step, unit=3)
    z = terms["projections"]["a"]
    assert z["rec"] + z["inp"] + z["b"] == pytest.approx(z["z"])
    assert z["z"] == pytest.approx(trace.z[3, 1, step - 1], rel=1e-12)
    assert terms["a"] == z["value"] == pytest.approx(np.tanh(z["z"]), rel=1e-12)
    expected_prev = trace.a0[3, 1] if step == 1 else trace.a[3, 1, step - 2]
    assert terms["a_prev"] == expected_prev


@pytest.mark.parametrize("step", [1, 4])
def test_lstm_step_terms_match_the_gates_and_the_cell_update(step):
    setup, trace = _trace(Config(cell="lstm", input="gaussian", n_a=3, m=2, T_x=4, seed=4))
    terms = step_terms(LSTM, setup.params, example_view(LSTM, trace, 1), step, unit=2)
    k = step - 1
    for gate, z in (("f", trace.z_f), ("u", trace.z_u), ("o", trace.z_o),
                    ("c_tilde", trace.z_c)):
        g = terms["projections"][gate]
        assert g["rec"] + g["inp"] + g["b"] == pytest.approx(g["z"])
        assert g["z"] == pytest.approx(z[2, 1, k], rel=1e-10)
    f, u, o, c_tilde = (terms["projections"][g]["value"] for g in ("f", "u", "o", "c_tilde"))
    assert terms["c"] == pytest.approx(f * terms["c_prev"] + u * c_tilde, rel=1e-12)
    assert terms["a"] == pytest.approx(o * np.tanh(terms["c"]), rel=1e-12)
    assert terms["c_prev"] == (0.0 if step == 1 else trace.c[2, 1, k - 1])


@pytest.mark.parametrize("step", [1, 4])
def test_gru_step_terms_reset_a_before_the_candidates_product(step):
    setup, trace = _trace(Config(cell="gru", input="gaussian", n_a=3, m=2, T_x=4, seed=4))
    terms = step_terms(GRU, setup.params, example_view(GRU, trace, 1), step, unit=2)
    k = step - 1
    for gate, z in (("r", trace.z_r), ("u", trace.z_u), ("c_tilde", trace.z_c)):
        g = terms["projections"][gate]
        assert g["rec"] + g["inp"] + g["b"] == pytest.approx(g["z"])
        assert g["z"] == pytest.approx(z[2, 1, k], rel=1e-10)
    a_prev = trace.a_prev[:, 1, k]
    Wc_a = setup.params.Wc[2, :3]
    assert terms["projections"]["c_tilde"]["rec"] == pytest.approx(
        Wc_a @ (trace.r[:, 1, k] * a_prev), rel=1e-12)
    u, c_tilde = (terms["projections"][g]["value"] for g in ("u", "c_tilde"))
    assert terms["a"] == pytest.approx(u * c_tilde + (1 - u) * terms["a_prev"], rel=1e-12)
    lines = step_latex(GRU, terms)
    assert len(lines) == 4
    assert r"(r^{\langle" in lines[2] and f"{terms['a']:.4f}" in lines[3]
    # the candidate, the widest line, puts its value on a second row so the page never cuts it
    first, second = lines[2].split(r" \\ ")
    assert first.startswith(r"\begin{aligned} \tilde{c}_{2}") and r"(r^{\langle" in first
    c_tilde = terms["projections"]["c_tilde"]
    assert second == (rf"&= \tanh({c_tilde['z']:.4f}) = {c_tilde['value']:.4f} "
                      r"\end{aligned}")


def test_the_gru_update_gate_remembers_near_zero():
    remembering = {g: {"high": 0.0, "low": 0.8} for g in ("r", "u", "c_tilde")}
    sentences = saturation_sentences(GRU, remembering)
    assert sentences[1].startswith("0% of update gates above 0.9 and 80% below 0.1")
    assert "remembering" in sentences[1]
    rewriting = {g: {"high": 0.8, "low": 0.0} for g in ("r", "u", "c_tilde")}
    assert "rewriting" in saturation_sentences(GRU, rewriting)[1]
    assert "reset gate" in saturation_sentences(GRU, rewriting)[0]


def test_step_terms_at_the_edge_sizes():
    setup, trace = _trace(Config(cell="lstm", input="gaussian", n_x=1, n_a=1, n_y=1, m=1,
                                 T_x=1))
    terms = step_terms(LSTM, setup.params, example_view(LSTM, trace, 0), 1, 0)
    assert terms["x"].shape == (1,) and terms["y_hat"].shape == (1,)
    assert terms["y_hat"][0] == pytest.approx(1.0)


def test_step_terms_refuse_a_step_or_unit_out_of_range():
    setup, trace = _trace(Config(cell="rnn", input="gaussian", n_a=2, T_x=3))
    view = example_view(RNN, trace, 0)
    with pytest.raises(ValueError, match="step 4"):
        step_terms(RNN, setup.params, view, 4, 0)
    with pytest.raises(ValueError, match="step 0"):
        step_terms(RNN, setup.params, view, 0, 0)
    with pytest.raises(ValueError, match="unit 2"):
        step_terms(RNN, setup.params, view, 1, 2)


def test_step_latex_shows_the_plugged_in_numbers():
    setup, trace = _trace(Config(cell="rnn", input="gaussian", n_a=2, T_x=3, seed=1))
    terms = step_terms(RNN, setup.params, example_view(RNN, trace, 0), 2, 1)
    rnn_lines = step_latex(RNN, terms)
    assert len(rnn_lines) == 2
    assert f"{terms['projections']['a']['z']:.4f}" in rnn_lines[0]
    assert f"{terms['a']:.4f}" in rnn_lines[1]
    assert r"\langle 2 \rangle" in rnn_lines[0] and r"\langle 1 \rangle" in rnn_lines[0]
    setup, trace = _trace(Config(cell="lstm", input="gaussian", n_a=2, T_x=3, seed=1))
    terms = step_terms(LSTM, setup.params, example_view(LSTM, trace, 0), 3, 0)
    lstm_lines = step_latex(LSTM, terms)
    assert len(lstm_lines) == 6
    assert f"{terms['projections']['f']['value']:.4f}" in lstm_lines[0]
    assert f"{terms['c']:.4f}" in lstm_lines[4] and f"{terms['a']:.4f}" in lstm_lines[5]


def test_saturation_counts_values_above_and_below_the_thresholds():
    view = {"f": np.array([[0.95, 0.99, 0.5, 0.05]]), "u": np.full((1, 4), 0.5),
            "o": np.array([[0.0, 0.2, 0.91, 1.0]]), "c_tilde": np.array([[-0.95, 0.0, 0.5, 1.0]])}
    sat = saturation(LSTM, view)
    assert sat["f"] == {"high": 0.5, "low": 0.25}
    assert sat["u"] == {"high": 0.0, "low": 0.0}
    assert sat["o"] == {"high": 0.5, "low": 0.25}
    assert sat["c_tilde"] == {"high": 0.5, "low": 0.25}
    sentences = saturation_sentences(LSTM, sat)
    assert sentences[0].startswith("50% of forget gates above 0.9 and 25% below 0.1")
    assert "50%" in sentences[3]


def test_saturation_sentence_names_remembering_and_forgetting():
    remembering = {g: {"high": 0.62, "low": 0.0} for g in ("f", "u", "o", "c_tilde")}
    assert "remembering" in saturation_sentences(LSTM, remembering)[0]
    assert saturation_sentences(LSTM, remembering)[0].startswith("62% of forget gates above 0.9")
    forgetting = {g: {"high": 0.0, "low": 0.7} for g in ("f", "u", "o", "c_tilde")}
    assert "forgetting" in saturation_sentences(LSTM, forgetting)[0]


def test_trace_table_has_one_row_per_timestep_and_unit():
    _, trace = _trace(Config(cell="lstm", input="gaussian", n_a=3, m=2, T_x=4))
    view = example_view(LSTM, trace, 1)
    table = trace_table(LSTM, view)
    assert set(table) == {"t", "unit", "a", "c", "f", "u", "o", "c_tilde"}
    assert all(len(column) == 12 for column in table.values())
    row = 2 * 3 + 1  # t = 3, unit 1
    assert (table["t"][row], table["unit"][row]) == (3, 1)
    assert table["c"][row] == view["c"][1, 2]
    assert table["f"][row] == view["f"][1, 2]
    _, rnn_trace = _trace(Config(cell="rnn", input="gaussian", n_a=3, m=2, T_x=4))
    assert list(table) == ["t", "unit", "a", "c", "f", "u", "o", "c_tilde"]
    assert set(trace_table(RNN, example_view(RNN, rnn_trace, 0))) == {"t", "unit", "a"}


@pytest.mark.parametrize("cell", list(CELLS))
def test_shape_table_numbers_match_the_built_parameters(cell):
    config = Config(cell=cell, input="gaussian", n_x=3, n_a=7, n_y=4, m=5, T_x=6)
    rows = {row["tensor"]: row for row in shape_table(config)}
    setup = build(config)
    for name, value in setup.params.items():
        assert rows[name]["size"] == str(tuple(value.shape)).replace(",)", ")")
    assert rows["x"]["size"] == "(3, 5, 6)" and rows["x"]["shape"] == "(n_x, m, T_x)"
    assert rows["ŷ⟨t⟩"]["size"] == "(4, 5)"
    if cell == "lstm":
        assert rows["concat"]["size"] == "(10, 5)"
        assert rows["Wf"]["shape"] == "(n_a, n_a + n_x)"


def test_notebook_rnn_printout_matches_the_notebooks_printed_values():
    out = notebook_rnn_printout()
    np.testing.assert_allclose(out["a[4][1]"],
                               [-0.99999375, 0.77911235, -0.99861469, -0.99833267], atol=1e-8)
    np.testing.assert_allclose(out["y_pred[1][3]"],
                               [1.82870192, 1.98141611, -0.7803359, 1.26637504], atol=1e-8)
    np.testing.assert_allclose(out["caches[1][1][3]"],
                               [-1.1425182, -0.34934272, -0.20889423, 0.58662319], atol=1e-8)
    assert out["a.shape"] == (5, 10, 4) and out["len(caches)"] == 2


def test_notebook_lstm_comparison_reproduces_the_bug_and_corrects_it():
    rows = notebook_lstm_comparison()
    assert [row["expression"] for row in rows] == list(NOTEBOOK_LSTM_PRINTED)
    for row in rows:
        assert row["notebook"] == pytest.approx(NOTEBOOK_LSTM_PRINTED[row["expression"]],
                                                rel=1e-12)
        assert abs(row["correct"] - row["notebook"]) > 1e-2


def test_saturation_is_read_for_every_projection_gates_first():
    shares = {"f": {"high": 0.7, "low": 0.1}, "u": {"high": 0.2, "low": 0.3},
              "o": {"high": 0.0, "low": 0.5}, "c_tilde": {"high": 0.4, "low": 0.6}}
    assert saturation_metrics(LSTM, shares) == {
        "forget gate > 0.9": 0.7, "update gate > 0.9": 0.2, "output gate > 0.9": 0.0,
        "candidate |c̃| > 0.9": 0.4}
    # the GRU's update gate keeps the memory near 0: its headline is the share below 0.1
    gru = {"r": {"high": 0.1, "low": 0.2}, "u": {"high": 0.0, "low": 0.95},
           "c_tilde": {"high": 0.3, "low": 0.5}}
    assert saturation_metrics(GRU, gru) == {
        "reset gate > 0.9": 0.1, "update gate < 0.1": 0.95, "candidate |c̃| > 0.9": 0.3}
    _, trace = _trace(Config(cell="rnn", input="gaussian", n_a=3, T_x=4))
    assert list(saturation(RNN, example_view(RNN, trace, None))) == ["a"]


def test_equations_are_the_cells_step_then_its_output_layer():
    assert len(equations(LSTM)) == 7 and "W_y" in equations(LSTM)[-1]
    assert len(equations(RNN)) == 2 and "W_{ya}" in equations(RNN)[-1]
    assert equations(RNN)[0] == EQUATIONS["rnn"][0]


def test_shape_table_lists_each_state_and_sequence_of_the_cell():
    rows = {row["tensor"]: row["meaning"] for row in shape_table(Config(cell="lstm"))}
    assert rows["c⟨t−1⟩"] == "previous cell state" and rows["f⟨t⟩"] == "forget gate"
    assert rows["bf"] == "forget gate bias" and rows["Wy"] == "hidden → output"
    rnn = {row["tensor"]: row["meaning"] for row in shape_table(Config(cell="rnn"))}
    assert "concat" not in rnn and "c⟨t−1⟩" not in rnn
    assert rnn["Waa"] == "hidden → hidden state" and rnn["Wax"] == "input → hidden state"


def test_the_sentences_that_depend_on_the_cell_come_from_its_description():
    assert carried_states(LSTM) == "(and the cell state c⟨t−1⟩) "
    assert carried_states(RNN) == ""
    note = no_gates_note(RNN)
    assert "**RNN** has no gates" in note and "**LSTM**" in note and "LSTM remembers" in note


def test_powers_of_ten_are_written_with_superscripts():
    assert power_of_ten(1e-5) == "10⁻⁵"
    assert power_of_ten(1000.0) == "10³"


@pytest.mark.parametrize("cell, gates, states", [
    ("lstm", ["forget gate f⟨t⟩", "update gate u⟨t⟩", "output gate o⟨t⟩"],
     ["candidate c̃⟨t⟩", "cell state c⟨t⟩", "hidden state a⟨t⟩"]),
    ("gru", ["reset gate r⟨t⟩", "update gate u⟨t⟩"], ["candidate c̃⟨t⟩", "hidden state a⟨t⟩"]),
])
def test_unit_lines_split_one_units_gates_from_its_states(cell, gates, states):
    setup, trace = _trace(Config(cell=cell, input="gaussian", n_a=4, m=3, T_x=6))
    view = example_view(CELLS[cell], trace, 2)
    lines = unit_lines(CELLS[cell], view, 3)
    assert list(lines["gates"]) == gates and list(lines["states"]) == states
    assert lines["gate_title"] == ", ".join(name.split()[-1][0] for name in gates)
    np.testing.assert_array_equal(lines["states"]["hidden state a⟨t⟩"], trace.a[3, 2, :])
    first_gate = CELLS[cell].gates[0].value
    np.testing.assert_array_equal(lines["gates"][gates[0]], getattr(trace, first_gate)[3, 2])


def test_the_knobs_say_whether_they_set_or_shift_the_bias():
    assert knob_label(Config(input="gaussian"), "lstm_bf") == "LSTM bf (forget gate)"
    assert knob_label(Config(), "gru_bu") == "GRU bu shift (update gate)"
    assert "shift added to the drawn bias" in knobs_note(Config())
    note = knobs_note(Config(cell="gru", input="adding"))
    assert "sets every entry" in note and "br = 0, bu = -1" in note


def test_the_jacobian_reading_explains_norms_above_one_with_a_vanishing_product():
    norms = {"rnn": np.array([1.2, 1.4, 0.9, 1.1]), "lstm": np.array([0.5, 0.6, 0.7, 0.8])}
    products = {"rnn": {"actual": np.array([-3.2, -2, -1, 0, 0]),
                        "bound": np.array([0.27, 0, 0, 0, 0])},
                "lstm": {"actual": np.array([-1.0, 0, 0, 0, 0]),
                         "bound": np.array([-0.8, 0, 0, 0, 0])}}
    line = jacobian_reading(norms, products)
    # the RNN's bound is 3.5 decades above its product, the LSTM's 0.2: the RNN is read
    assert "RNN's ‖J⟨t⟩‖ runs from 0.9 to 1.4, above 1 at 3 of 4 steps" in line
    assert "10^-3.2" in line and "10^0.3" in line


def test_the_growth_reading_names_the_gradient_that_grows_going_back():
    flows = {"rnn": {"a": np.array([1e-6, 1e-3, 1.0])},
             "lstm": {"a": np.array([0.5, 0.8, 1.0]), "c": np.array([78.0, 10.0, 1.0])}}
    line = growth_reading(flows)
    assert "LSTM's ‖∂L/∂c⟨t⟩‖ is 78 times larger at t = 1 than at t = 3" in line
    assert "8.832 times a step" in line  # 78 ** (1 / 2)
    assert growth_reading({"rnn": {"a": np.array([1e-6, 1.0])}}) is None


def test_the_flow_reading_reads_the_cell_that_falls_most_going_back():
    flows = {"rnn": {"a": np.array([1e-6, 1e-3, 1.0])},
             "gru": {"a": np.array([0.1, 0.5, 1.0])}}
    assert flow_reading(flows, 1) == (
        "Each gridline is ten times the one below: the RNN's ‖∂L/∂a⟨t⟩‖ fell from 1 at t = 3 "
        "to 1.0e-06 at t = 1, a factor of 1.0e+06, × 0.001 a step on average.")
    assert flow_reading(flows, 2).startswith("Each gridline is a hundred times")


def test_the_flow_reading_is_the_growth_reading_where_a_gradient_grows_going_back():
    flows = {"lstm": {"a": np.array([0.5, 0.8, 1.0]), "c": np.array([78.0, 10.0, 1.0])}}
    assert flow_reading(flows, 1) == growth_reading(flows)


def test_a_truncated_flow_is_read_to_where_it_stops():
    # k = 2: nothing reaches t = 1, 2; the line stops at t = 3
    line = flow_reading({"rnn": {"a": np.array([0.0, 0.0, 0.01, 0.1])}}, 1)
    assert line == ("Each gridline is ten times the one below: the RNN's ‖∂L/∂a⟨t⟩‖ fell from "
                    "0.1 at t = 4 to 0.01 at t = 3, a factor of 10; then it is 0, which a log "
                    "axis cannot draw, so the line stops.")
    assert "is 0 throughout" in flow_reading({"rnn": {"a": np.zeros(3)}}, 1)
