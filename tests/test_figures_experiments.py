"""The experiments' figures and sentences as pure functions: the recall bars, the ablation
curve, and what the app says of a report."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from rnnviz.app import findings
from rnnviz.figures import experiments as figures
from rnnviz.training.experiments import Ablation, Report, Score


def test_the_recall_bars_are_percentages_on_a_fixed_axis_with_chance_dashed():
    fig = figures.recall_bars(["as trained", "f = 0 at t = 2…20"], [0.987, 0.131], 0.125, "T")
    (bars,) = fig["data"]
    assert bars["x"] == pytest.approx([98.7, 13.1]) and bars["text"] == ["98.7%", "13.1%"]
    assert bars["y"] == ["as trained", "f = 0 at t = 2…20"] and bars["orientation"] == "h"
    assert fig["layout"]["xaxis"]["range"][0] == 0
    assert fig["layout"]["yaxis"]["autorange"] == "reversed"   # as trained on top
    (line,) = fig["layout"]["shapes"]
    assert line["x0"] == line["x1"] == 12.5 and line["line"]["dash"] == "dash"
    assert fig["layout"]["annotations"][0]["text"] == "chance 12.5%"
    go.Figure(fig)   # Plotly accepts it as it stands


def test_the_ablation_curve_draws_the_top_units_the_random_mean_and_the_draws_range():
    random = np.array([[1.0, 1.0], [0.9, 0.7], [0.125, 0.125]])
    fig = figures.ablation_curve([0, 1, 4], [1.0, 0.3, 0.125], random, 0.125, "T")
    band, mean, top = fig["data"]
    assert top["y"] == pytest.approx([100, 30, 12.5])
    assert mean["y"] == pytest.approx([100, 80, 12.5]) and "mean of 2 draws" in mean["name"]
    assert band["x"] == [0, 1, 4, 4, 1, 0]
    assert band["y"] == pytest.approx([100, 90, 12.5, 12.5, 70, 100])
    assert fig["layout"]["xaxis"]["title"]["text"] == "k, units silenced"
    (line,) = fig["layout"]["shapes"]
    assert line["y0"] == line["y1"] == 12.5
    go.Figure(fig)


def report(shut: float | None, top: list[float], random: list[float], cell: str = "lstm",
           cut: float = 0.124):
    k = np.array([0, 1, 2, 4])
    return Report(cell=cell, T_x=21, sequences=1000, seed=12345, chance=0.125,
                  trained=Score(0.02, 0.99),
                  shut=None if shut is None else Score(2.1, shut),
                  shut_gate=None if shut is None else ("f", 0.0), cut=Score(2.08, cut),
                  rise=np.array([0.5, 0.1, 2.0, 0.0]), alone=np.array([0.9, 0.99, 0.3, 0.99]),
                  order=np.array([2, 0, 1, 3]),
                  curve=Ablation(k, np.array(top), np.tile(np.array(random)[:, None], 5)))


def test_a_forget_gate_that_takes_the_recall_to_chance_is_read_as_where_the_symbol_is():
    result = report(0.131, [0.99, 0.3, 0.2, 0.125], [0.99, 0.98, 0.95, 0.9])
    assert findings.shut_label(result) == "f = 0 at t = 2…20"
    sentence = findings.shut_sentence(result)
    assert "forget gate held at f = 0 from t = 2 to t = 20" in sentence
    assert ("recalls 13.1% of the symbols instead of 99.0%, chance (12.5%). The symbol was "
            "kept in what that gate carries") in sentence


def test_a_recall_left_above_chance_is_read_with_every_road_cut():
    result = report(0.201, [0.99] * 4, [0.99] * 4)
    assert findings.cut_label(result) == "f = 0, a = 0 at t = 2…20"
    assert findings.bars(result) == {"as trained": 0.99, "f = 0 at t = 2…20": 0.201,
                                     "f = 0, a = 0 at t = 2…20": 0.124}
    sentence = findings.shut_sentence(result)
    assert "20.1% of the symbols instead of 99.0%, above chance (12.5%)" in sentence
    assert ("What is left crosses the gap through a⟨t−1⟩, which the candidate c̃⟨t⟩ reads at "
            "every step: with f = 0, a = 0 at t = 2…20 the LSTM recalls 12.4%, chance "
            "(12.5%).") in sentence


def test_chance_is_three_standard_errors_of_guessing_on_the_sequences_measured():
    # 1,000 sequences: 3 sqrt(1/8 · 7/8 / 1000) = 0.0314
    assert "recalls 15.5%, chance" in findings.shut_sentence(report(0.2, [0.9] * 4, [0.9] * 4,
                                                                    cut=0.155))
    assert "recalls 15.8%, above chance" in findings.shut_sentence(
        report(0.2, [0.9] * 4, [0.9] * 4, cut=0.158))


def test_an_rnn_has_no_gate_to_shut_and_its_cut_holds_a_alone():
    result = report(None, [0.99] * 4, [0.99] * 4, cell="rnn")
    assert "has no gate that keeps its memory" in findings.shut_sentence(result)
    assert findings.shut_label(result) == "" and findings.cut_label(result) == "a = 0 at t = 2…20"
    assert list(findings.bars(result)) == ["as trained", "a = 0 at t = 2…20"]


def test_the_ablation_is_read_at_the_fewest_units_that_take_it_halfway_to_chance():
    sentence = findings.ablation_sentence(report(0.13, [0.99, 0.6, 0.5, 0.2], [0.99, 0.98,
                                                                               0.95, 0.9]))
    assert sentence.startswith("Silencing the 2 units that matter most (2, 0) takes the "
                               "recall from 99.0% to 50.0%; 2 units drawn at random leave "
                               "95.0%")
    assert "hurts far more than silencing as many others" in sentence


def test_an_ablation_that_never_gets_halfway_is_read_below_all_the_units():
    sentence = findings.ablation_sentence(report(0.13, [0.99, 0.97, 0.96, 0.95],
                                                 [0.99, 0.98, 0.97, 0.96]))
    assert "Silencing the 2 units" in sentence and "spread over many units" in sentence


def test_the_ranking_rows_are_the_most_important_units_first():
    rows = findings.ranking_rows(report(0.13, [0.99] * 4, [0.99] * 4), rows=2)
    assert rows == [{"unit j": 2, "loss rise": 2.0, "recalled without it": 30.0},
                    {"unit j": 0, "loss rise": 0.5, "recalled without it": 90.0}]
