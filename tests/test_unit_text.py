"""A trained network's units on its text, as plain Python: the stretch of names, the engine
pass per name, the top next-character predictions, the classes of positions, the selectivity
measure and its ranking, and the match of a span's units elsewhere."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.app import unit_text as ut
from rnnviz.engine import CELLS, forward, init_params
from rnnviz.limits import TEXT_VIEW_CHARS
from rnnviz.training.tasks import make_task
from rnnviz.training.text import END

NAMES = ("anna", "bob", "xyz", "kelly", "émile", "Oda")


def synthetic(names=NAMES, n_a: int = 6, seed: int = 0) -> ut.Reading:
    """A Reading of `names` whose values are noise (n_a units) and nothing else."""
    chars = tuple(ch for name in names for ch in END + name)
    lengths = np.array([len(name) + 1 for name in names])
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    name = np.repeat(np.arange(len(names)), lengths)
    ends = np.zeros(len(chars), bool)
    ends[starts + lengths - 1] = True
    rng = np.random.default_rng(seed)
    return ut.Reading(chars=chars, name=name, place=np.arange(len(chars)) - starts[name],
                      ends=ends, values={"a": rng.normal(0, 0.3, (n_a, len(chars)))},
                      top=np.zeros((len(chars), 3), int), top_p=np.zeros((len(chars), 3)),
                      vocab=(END, *sorted(set(chars) - {END})))


def test_a_unit_that_fires_only_on_vowels_ranks_first_for_vowels():
    reading = synthetic(NAMES * 4)
    vowels = ut.positions(reading, "vowels")
    values = reading.values["a"].copy()
    values[4] += 1.0 * vowels          # unit 4 is high on vowels, noise elsewhere
    values[1] -= 0.6 * vowels          # unit 1 is low on vowels, less strongly
    d = ut.selectivity(values, vowels)
    order = ut.ranked(d)
    assert order[0] == 4 and d[4] > 2
    assert order[1] == 1 and d[1] < -1     # ranked by |d|, its sign kept
    assert np.all(np.abs(d[[0, 2, 3, 5]]) < 1)
    # the measure itself: the difference of means over the pooled standard deviation
    inside, outside = values[4, vowels], values[4, ~vowels]
    pooled = np.sqrt(((inside.size - 1) * inside.var(ddof=1)
                      + (outside.size - 1) * outside.var(ddof=1))
                     / (inside.size + outside.size - 2))
    assert d[4] == pytest.approx((inside.mean() - outside.mean()) / pooled)


def test_vowels_are_found_in_any_case_and_with_accents():
    reading = synthetic()
    picked = [ch for ch, on in zip(reading.chars, ut.positions(reading, "vowels"), strict=True)
              if on]
    assert picked == ["a", "a", "o", "e", "é", "i", "e", "O", "a"]


def test_the_last_and_the_kth_character_of_each_name():
    reading = synthetic()
    last = ut.positions(reading, "last")
    assert [reading.chars[p] for p in np.flatnonzero(last)] == ["a", "b", "z", "y", "e", "a"]
    second = ut.positions(reading, "kth", k=2)
    assert [reading.chars[p] for p in np.flatnonzero(second)] == ["n", "o", "y", "e", "m", "d"]
    assert not ut.positions(reading, "kth", k=6).any()
    span = ut.positions(reading, "span", (3, 6))
    assert np.flatnonzero(span).tolist() == [3, 4, 5, 6]
    with pytest.raises(ValueError, match="unknown class"):
        ut.positions(reading, "consonants")


def test_selectivity_refuses_an_empty_or_whole_selection_and_handles_no_spread():
    values = np.array([[1.0, 1.0, 0.0, 0.0], [2.0, 2.0, 2.0, 2.0], [0.0, 0.0, 3.0, 3.0]])
    picked = np.array([True, True, False, False])
    d = ut.selectivity(values, picked)
    assert d.tolist() == [np.inf, 0.0, -np.inf]   # no spread: all or nothing
    assert ut.ranked(d).tolist() == [0, 2, 1]
    for bad in (np.zeros(4, bool), np.ones(4, bool)):
        with pytest.raises(ValueError, match="some positions"):
            ut.selectivity(values, bad)


def test_spread_ranks_the_most_varied_unit_first():
    values = np.array([[0.0, 0.1, 0.0, 0.1], [-1.0, 1.0, -1.0, 1.0], [0.0, 0.5, 0.0, 0.5]])
    np.testing.assert_allclose(ut.spread(values), [0.05, 1.0, 0.25])
    assert ut.ranked(ut.spread(values)).tolist() == [1, 2, 0]


def test_match_finds_the_planted_repeats_of_a_spans_units_and_nothing_else():
    reading = synthetic(NAMES * 3, n_a=5)   # "kelly" is 13 … 18, "émile" 19 … 24, ...
    values = np.full((5, reading.size), -0.5)
    for start, end in ((14, 16), (20, 23), (43, 44)):   # units 1 and 3 on together
        values[[1, 3], start:end + 1] = 0.9
    values[1, 30:33] = 0.9                               # unit 1 alone: not the set
    values[0, 14:17] = 0.9                               # unit 0 on across the span only
    units = ut.units_on(values, 14, 16, 0.3)
    assert units.tolist() == [0, 1, 3]
    assert ut.units_on(values, 14, 17, 0.3).tolist() == []  # one step past the span: none
    runs = ut.matches(values, np.array([1, 3]), 0.3, reading.name)
    assert runs == [(20, 23), (14, 16), (43, 44)]       # longest first, then in order
    assert [r for r in runs if not ut.overlaps(r, 14, 16)] == [(20, 23), (43, 44)]
    assert ut.matches(values, np.array([], int), 0.3, reading.name) == []


def test_a_match_never_runs_across_two_names():
    reading = synthetic(("ab", "cd"), n_a=1)
    values = np.ones((1, reading.size))                  # on everywhere
    assert ut.matches(values, np.array([0]), 0.5, reading.name) == [(0, 2), (3, 5)]


def test_top_predictions_are_the_most_likely_first_ties_by_index():
    probs = np.array([[0.1, 0.5], [0.6, 0.2], [0.2, 0.2], [0.1, 0.1]])   # (n_y, N)
    ids, p = ut.top_predictions(probs)
    assert ids.tolist() == [[1, 2, 0], [0, 1, 2]]
    np.testing.assert_allclose(p, [[0.6, 0.2, 0.1], [0.5, 0.2, 0.2]])
    ids, p = ut.top_predictions(probs[:2], 3)         # fewer classes than asked
    assert ids.shape == (2, 2)


def test_the_stretch_takes_whole_names_within_the_limit_and_cuts_only_a_first_long_one():
    lines = ["abc", "de", "fghij", "k"]
    assert ut.stretch(lines, 0, 7) == ut.Stretch(("abc", "de"), 0, False)   # 4 + 3
    assert ut.stretch(lines, 1, 100) == ut.Stretch(("de", "fghij", "k"), 1, False)
    assert ut.stretch(lines, 2, 4) == ut.Stretch(("fgh",), 2, True)
    assert ut.stretch(lines, 99, 100).first == 3                          # clamped
    long = ["x" * (3 * TEXT_VIEW_CHARS)]
    taken = ut.stretch(long, 0, 10 * TEXT_VIEW_CHARS)
    assert len(taken.lines[0]) + 1 == TEXT_VIEW_CHARS and taken.cut


@pytest.mark.parametrize("cell", list(CELLS))
def test_reading_runs_each_name_from_a_zero_state_as_the_task_feeds_it(cell):
    task = make_task("chars")
    params = init_params(cell, task.n_x, 5, task.n_y, np.random.default_rng(3))
    lines = ("abc", "de", "xyzw", "fg")
    reading = ut.read(params, task, lines)
    assert reading.chars == tuple("\nabc\nde\nxyzw\nfg")
    assert set(reading.values) == set(CELLS[cell].sequences)
    assert reading.size == 15 and reading.n_a == 5
    assert reading.place.tolist() == [0, 1, 2, 3, 0, 1, 2, 0, 1, 2, 3, 4, 0, 1, 2]
    assert np.flatnonzero(reading.ends).tolist() == [3, 6, 11, 14]
    # position 7 … 11 is "xyzw" read alone from zeros, END first
    alone = forward(params, task.one_hot(task.encode(END + "xyzw")[None, :]))
    for name in CELLS[cell].sequences:
        np.testing.assert_allclose(reading.values[name][:, 7:12],
                                   getattr(alone, name)[:, 0, :], rtol=1e-6, atol=1e-7)
    best = np.argsort(-alone.y_hat[:, 0, :], axis=0)[:ut.TOP].T
    assert reading.top[7:12].tolist() == best.tolist()
    np.testing.assert_allclose(reading.top_p[7:12, 0], alone.y_hat[:, 0, :].max(axis=0))
    assert not ut.read(params, task, ("abc",), cut=True).ends.any()   # its end is not read


def test_the_hover_says_where_and_the_three_guesses_with_end_and_space_written_out():
    reading = synthetic()
    vocab = (END, " ", "a", "b")
    reading = ut.Reading(**{**reading.__dict__, "vocab": vocab,
                            "top": np.tile([0, 1, 2], (reading.size, 1)),
                            "top_p": np.tile([0.5, 0.304, 0.1], (reading.size, 1))})
    assert ut.hover(reading, 7) == "#7  next:\n⏎ 50%\n␣ 30%\na 10%"


def test_span_text_and_context_write_a_names_start_as_its_mark():
    reading = synthetic()
    assert ut.span_text(reading, 0, 2) == "⏎an"
    assert ut.span_text(reading, 0, 8, most=5) == "⏎a…ob"      # 9 characters, 5 shown
    assert ut.in_context(reading, 6, 7) == "⏎«bo»b"
    long = synthetic(("x" * 30 + "yz" + "w" * 30,))
    assert ut.in_context(long, 31, 32, around=3) == "…xxx«yz»www…"
    assert ut.in_context(long, 1, 1, around=3) == "⏎«x»xxx…"
    assert ut.default_span(reading) == (1, 4)            # "anna": its last four
    short = synthetic(("x", "yz"))
    assert ut.default_span(short) == (1, 1)


def test_the_digest_follows_the_numbers_and_the_text():
    task = make_task("chars")
    params = init_params("lstm", task.n_x, 3, task.n_y, np.random.default_rng(0))
    same = ut.digest(params, None)
    assert ut.digest(params.copy(), None) == same
    assert ut.digest(params, "abc\ndef") != same
    changed = params.copy()
    changed.bf[0, 0] += 1e-9
    assert ut.digest(changed, None) != same
