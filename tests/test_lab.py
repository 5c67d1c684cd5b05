"""rnnviz.app.lab: interventions as links write them, the two runs compared, and the sentence
that says what changed, its numbers the engine's."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnviz.app import lab
from rnnviz.app.build import build
from rnnviz.app.config import Config
from rnnviz.engine import CELLS, Intervention, Loss, backward, forward
from rnnviz.fields import MAX_LIST
from rnnviz.limits import MAX_INTERVENTIONS, STATE_VALUES

SIZES = {"T_x": 12, "n_a": 6, "m": 3, "cell": "lstm"}
LSTM, GRU, RNN = CELLS["lstm"], CELLS["gru"], CELLS["rnn"]


def config(cell: str, **changes) -> Config:
    return Config(**{"cell": cell, "input": "gaussian", "n_x": 3, "n_a": 6, "n_y": 3, "m": 3,
                     "T_x": 12, "seed": 4, **changes})


# ----- the text of a link ---------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("f:0:4-12", (Intervention("f", 0.0, steps=range(4, 13)),)),
    ("c:1.5:5:0,3", (Intervention("c", 1.5, units=(0, 3), steps=(5,)),)),
    ("a:-0.25:all;u:1:2-3:5", (Intervention("a", -0.25),
                               Intervention("u", 1.0, units=(5,), steps=(2, 3)))),
    (" o : 0.5 : ALL : all ", (Intervention("o", 0.5),)),
])
def test_a_links_interventions_are_read_and_written_back_the_same(text, expected):
    changes = lab.CODEC.parse(text, SIZES)
    assert changes == expected
    assert lab.CODEC.parse(lab.CODEC.format(changes), SIZES) == changes


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(LSTM.targets), st.floats(0, 1),
                          st.integers(1, 12), st.integers(0, 11),
                          st.one_of(st.none(), st.sets(st.integers(0, 5), min_size=1))),
                min_size=1, max_size=MAX_INTERVENTIONS))
def test_any_list_the_editor_can_make_survives_the_url(drawn):
    changes = tuple(Intervention(target, value, None if units is None else sorted(units),
                                 range(first, min(first + length, 12) + 1))
                    for target, value, first, length, units in drawn)
    assert lab.CODEC.parse(lab.CODEC.format(changes), SIZES) == changes


@pytest.mark.parametrize("text, words", [
    ("f:0:1-5:999", "its units must be between 0 and 5"),
    ("f:0:0-5", "its steps must be between 1 and 12"),
    ("f:0:3-99", "its steps must be between 1 and 12"),
    ("f:0:7-3", "run backwards"),
    ("f:7:1-5", "the gate f can only be clamped to a value from 0 to 1; got 7"),
    ("c:7:1-5", "the Gate lab sets c to a value from -5 to 5; got 7"),
    ("a:-1.5:1", "sets a to a value from -1 to 1"),
    # the value refused as it was given, not rounded into the range by the message
    ("c:5.0000001:all", "the Gate lab sets c to a value from -5 to 5; got 5.0000001"),
    ("hello", "must be target:value:steps"),
    ("f:zero:1", "its value is not a number"),
    ("f:nan:1", "its value is not a finite number"),
    ("r:0:1", "the LSTM has no gate or state 'r'"),
    (";".join(["f:0:1"] * (MAX_INTERVENTIONS + 1)), f"at most {MAX_INTERVENTIONS} apply"),
    ("f:0:1:" + ",".join(map(str, range(MAX_LIST + 1))), f"more than {MAX_LIST}"),
    (";;", "names no intervention"),
])
def test_a_bad_link_is_refused_saying_why(text, words):
    with pytest.raises(ValueError, match=words):
        lab.CODEC.parse(text, {**SIZES, "n_a": 6 if "999" in text else 20})


def test_the_url_field_refuses_an_overlong_value_unread():
    from rnnviz.app.contents import LAB
    from rnnviz.app.lesson import VIEWS

    field = next(f for f in VIEWS[LAB] if f.name == "intervene")
    with pytest.raises(ValueError, match="too long"):
        field.parse("f:0:1;" * 100, SIZES)
    assert field.parse("f:0:1", SIZES) == (Intervention("f", 0.0, steps=(1,)),)
    shut = (Intervention("f", 0.0, units=(2,)),)
    assert field.check(shut, SIZES) == shut and field.format(shut) == "f:0:all:2"
    with pytest.raises(ValueError, match="intervene cannot be applied: .* unit"):
        field.check((Intervention("f", 0.0, units=(6,)),), SIZES)


def test_a_codec_goes_with_the_coded_kind_only():
    from rnnviz.fields import Field

    with pytest.raises(ValueError, match="a codec goes with the kind coded"):
        Field("intervene", "coded", None)
    with pytest.raises(ValueError, match="a codec goes with the kind coded"):
        Field("t", "int", 1, codec=lab.CODEC)


# ----- what is applied ------------------------------------------------------------------------

def test_the_default_forgets_from_the_middle_with_each_cells_memory_gate():
    assert lab.default_change(LSTM, 12) == Intervention("f", 0.0, steps=range(7, 13))
    assert lab.default_change(GRU, 12) == Intervention("u", 1.0, steps=range(7, 13))
    assert lab.default_change(RNN, 1) == Intervention("a", 0.0, steps=(1,))


def test_what_no_longer_fits_the_network_is_left_out_with_a_note():
    changes = (Intervention("c", 1.0, steps=(2,)), Intervention("u", 0.0, units=(5,)))
    kept, notes = lab.fit(GRU, 6, 12, changes)
    assert kept == changes[1:]
    assert len(notes) == 1 and notes[0].startswith("c = 1 at t = 2 on every unit is left out")
    kept, notes = lab.fit(GRU, 4, 12, changes)  # unit 5 is gone too: nothing left
    assert kept == (lab.default_change(GRU, 12),) and len(notes) == 3
    assert lab.fit(LSTM, 6, 12, None) == ((lab.default_change(LSTM, 12),), [])


def test_every_state_a_cell_offers_has_a_range_in_the_lab():
    for cell in CELLS.values():
        for state in cell.states:
            low, high = lab.value_range(cell, state)
            assert low < 0 < high and STATE_VALUES[state] == (low, high)
        for gate in cell.gates:
            assert lab.value_range(cell, gate.value) == (0.0, 1.0)


# ----- the comparison and its sentence --------------------------------------------------------

def both(setup, changes, where, example):
    return lab.compare(lab.run(setup, (), where, example),
                       lab.run(setup, changes, where, example))


def went(before: float, after: float) -> str:
    """How the sentence says a number moved, written as it writes numbers."""
    old, new = lab.number(before), lab.number(after)
    if old == new:
        return f"stays at {old}"
    return f"{'falls' if after < before else 'rises'} from {old} to {new}"


KINDS = [
    ("lstm", Intervention("f", 0.0, steps=range(4, 13)), "keeps nothing of c⟨t−1⟩: c⟨t⟩ = u∘c̃"),
    ("lstm", Intervention("f", 1.0, units=(1, 2), steps=range(3, 6)), "keeps all of c⟨t−1⟩"),
    ("lstm", Intervention("u", 0.0, steps=range(5, 9)), "writes nothing new: c⟨t⟩ = f∘c⟨t−1⟩"),
    ("lstm", Intervention("o", 0.0, steps=(6,)), "shows nothing of its memory: a⟨t⟩ = 0"),
    ("lstm", Intervention("c", 2.0, units=(0,), steps=range(2, 5)), "a⟨t⟩ = o∘tanh(c)"),
    ("lstm", Intervention("a", -0.5, steps=(3,)), "starts from the value set"),
    ("gru", Intervention("u", 0.0, steps=range(4, 13)), "keeps a⟨t−1⟩ as it was"),
    ("gru", Intervention("u", 1.0, steps=range(4, 13)), "keeps nothing of a⟨t−1⟩: a⟨t⟩ = c̃"),
    ("gru", Intervention("r", 0.0, steps=range(2, 13)), "the reset gate is held at 0"),
    ("rnn", Intervention("a", 0.0, steps=(5,)), "starts from the value set: a⟨t⟩ = value"),
]


@pytest.mark.parametrize("cell, change, words", KINDS,
                         ids=[f"{c}-{ch.target}={ch.value:g}" for c, ch, _ in KINDS])
@pytest.mark.parametrize("where", ["last", "all"])
def test_the_sentence_names_the_change_and_its_numbers_are_the_engines(cell, change, words,
                                                                        where):
    setup = build(config(cell))
    result = both(setup, (change,), where, example=1)
    text = lab.sentence(CELLS[cell], result, "the last step")
    assert lab.describe(change) in text and words in text
    # the engine's own numbers, computed here apart from the lab
    loss = Loss(setup.loss.kind, where)
    before = forward(setup.params, setup.x, setup.a0)
    after = forward(setup.params, setup.x, setup.a0, interventions=[change])
    old, new = (backward(setup.params, trace, setup.targets, loss) for trace in (before, after))
    assert f"the loss at the last step {went(old.loss, new.loss)} and" in text
    norms = [np.sqrt(np.sum(back.dA[:, :, 0] ** 2)) for back in (old, new)]
    assert f"‖∂L/∂a⟨1⟩‖ {went(*norms)}." in text
    np.testing.assert_allclose(result.intervened.view["a"], after.a[:, 1, :], rtol=0, atol=0)
    np.testing.assert_allclose(result.original.view["a"], before.a[:, 1, :], rtol=0, atol=0)
    moved = np.abs(after.a[:, 1, :] - before.a[:, 1, :]).max(axis=0)  # the example shown
    first = np.flatnonzero(moved > 0)[0] + 1
    assert (f". In the example shown a⟨t⟩ first changes at t = {first}, by up to "
            f"{lab.number(moved.max())};") in text
    assert first >= change.steps[0]
    gap = result.gaps[0]
    if lab.claim(CELLS[cell], change) is None:
        assert gap is None and "checked" not in text
    else:
        assert gap <= 1e-15 and f"the largest difference is {lab.number(gap)})" in text


def test_the_check_of_a_claim_would_see_an_update_that_does_not_hold():
    setup = build(config("lstm"))
    shut = Intervention("f", 0.0, steps=range(4, 13))
    untouched = setup.forward()
    assert lab._gap(LSTM, untouched, shut) > 1e-3  # the network as it is keeps some of c⟨t−1⟩
    assert lab._gap(LSTM, setup.forward((shut,)), shut) == 0.0


def test_each_steps_loss_is_the_engines_loss_at_that_step_alone():
    setup = build(config("gru"))
    result = both(setup, (Intervention("u", 1.0, steps=(3,)),), "last", 0)
    last = backward(setup.params, setup.forward(), setup.targets, Loss(setup.loss.kind, "last"))
    assert result.original.losses[-1] == pytest.approx(last.loss, rel=1e-12)
    assert result.original.loss == pytest.approx(last.loss, rel=1e-12)
    assert result.output == "softmax"


def test_a_change_that_changes_nothing_says_so():
    setup = build(config("lstm", m=1))
    value = float(setup.forward().a[0, 0, -1])  # a state set to the value it has
    same = Intervention("a", value, units=(0,), steps=(12,))
    result = both(setup, (same,), "last", 0)
    text = lab.sentence(LSTM, result, "the last step")
    assert ". In the example shown a⟨t⟩ does not change;" in text
    assert "the loss at the last step stays at" in text


def test_numbers_are_written_short_and_zero_as_zero():
    assert [lab.number(v) for v in (0.0, 0.69314, 3.1e-4, 12345.0, -2.5)] == [
        "0", "0.693", "3.1e-04", "1.2e+04", "-2.5"]
