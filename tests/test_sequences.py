"""A student's own sequences: the CSV read in both layouts, every bad input's sentence, the
standardisation and its way back, the data sets kept for the views, and the task on them."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnviz.engine import init_params
from rnnviz.engine.losses import check_targets
from rnnviz.engine.model import forward
from rnnviz.limits import MAX_CLASSES, MAX_CSV_BYTES, MAX_CSV_COLUMNS, MAX_CSV_ROWS, SIZES
from rnnviz.training import sequences
from rnnviz.training.sequences import KEPT, LAYOUTS, read_sequences
from rnnviz.training.tasks import OWN, make_task

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "data"
HYPOTHESIS = settings(max_examples=200, deadline=None, derandomize=True,
                      suppress_health_check=[HealthCheck.too_slow])


def csv_of(rows) -> str:
    return "".join(",".join(str(v) for v in row) + "\n" for row in rows)


def rng(seed=0):
    return np.random.default_rng(seed)


# ----- reading ----------------------------------------------------------------------------

def test_rows_are_sequences_standardised_with_their_own_mean_and_std():
    raw = np.array([[1.0, 2.0, 4.0], [3.0, 5.0, 9.0], [0.0, 1.0, 1.0], [2.0, 2.0, 8.0]])
    data = read_sequences(csv_of(raw))
    assert data.values.shape == (4, 3, 1) and data.layout == "rows" and not data.classify
    np.testing.assert_allclose(data.mean, [raw.mean()])
    np.testing.assert_allclose(data.std, [raw.std()])
    np.testing.assert_allclose(data.values[:, :, 0], (raw - raw.mean()) / raw.std())
    np.testing.assert_allclose(data.in_units(data.values[:, :, 0][None])[0], raw)
    assert data.longest_T_x == 2


def test_series_has_a_channel_per_column_named_by_its_header():
    text = "temp,sun\n" + csv_of([[10, 1], [12, 3], [11, 2], [15, 6], [9, 0]])
    data = read_sequences(text, "series")
    assert data.values.shape == (1, 5, 2) and data.channels == ("temp", "sun")
    np.testing.assert_allclose(data.mean, [11.4, 2.4])
    np.testing.assert_allclose(data.values[0].mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(data.values[0].std(axis=0), 1)
    np.testing.assert_allclose(data.in_units(data.values[0].T), [[10, 12, 11, 15, 9],
                                                                 [1, 3, 2, 6, 0]])


def test_one_row_without_a_header_is_one_series_along_the_row():
    data = read_sequences("1;2;3;5;8\n", "series")   # a semicolon separates too
    assert data.values.shape == (1, 5, 1)
    np.testing.assert_allclose(data.in_units(data.values[0].T)[0], [1, 2, 3, 5, 8])


def test_label_column_by_header_or_last_makes_classes_in_numeric_order():
    rows = [[1, 2, 10], [2, 1, 2], [3, 3, 10], [0, 5, 2], [4, 4, 2]]
    data = read_sequences(csv_of(rows), label_column="last")
    assert data.classes == ("2", "10") and data.classify   # numbers in numeric order
    np.testing.assert_array_equal(data.step_labels, [[1, 1], [0, 0], [1, 1], [0, 0], [0, 0]])
    named = read_sequences("a,Label,b\n" + csv_of([[1, "x", 2], [2, "y", 1], [3, "x", 3],
                                                   [5, "y", 0]]))
    assert named.classes == ("x", "y") and named.values.shape == (4, 2, 1)
    np.testing.assert_allclose(named.in_units(named.values[:, :, 0][None])[0],
                               [[1, 2], [2, 1], [3, 3], [5, 0]])
    unlabelled = read_sequences("a,b\n" + csv_of([[1, 2], [2, 1], [3, 3], [5, 0]]))
    assert not unlabelled.classify


def test_a_labelled_series_has_a_class_at_every_step():
    data = read_sequences("v,label\n" + csv_of([[1, "up"], [2, "up"], [1, "down"], [0, "down"]]),
                          "series")
    np.testing.assert_array_equal(data.step_labels, [[1, 1, 0, 0]])
    assert data.classes == ("down", "up")


BAD = [
    ("1,2,3\n4,5\n1,2,3\n1,2,3\n", "row 2 has 2 cells and row 1 has 3"),
    ("a,b,c\n1,2,3\n4,5,6\n7,8\n1,1,1\n", "row 4 has 2 cells and row 1 has 3"),
    ("1,2,3\n4,5,6\n7,abc,9\n1,1,1\n", "row 3, column 2: 'abc' is not a number"),
    ("1,2,3\n4,5,6\n7,nan,9\n1,1,1\n", "row 3, column 2: 'nan' is not a finite number"),
    ("1,2,3\n4,5,6\n7,8,-inf\n1,1,1\n", "row 3, column 3: '-inf' is not a finite number"),
    ("1,2,3\n4,,6\n7,8,9\n1,1,1\n", "row 2, column 2 is empty"),
    ("1,2,3\n4,5,6\n", "holds 2 sequences; one per row, it needs at least 4"),
    ("a,b,c\n", "has a header row and no data"),
    ("", "is empty"),
    (" \n\n", "is empty"),
    (b"1,2\xe9,3\n", "is not valid UTF-8: byte 0xe9 at position 3"),
    (b"\xff\xfe1\x002\x00", "is saved as UTF-16"),
    (b"\x00\x01\x02\xff\x00", "looks like binary data"),
    ("1\n2\n3\n4\n", "one value a row"),
    ("5,5,5\n5,5,5\n5,5,5\n5,5,5\n", "every value is 5; nothing varies"),
    ("x,y,label\n1,2,a\n2,3,a\n3,1,a\n4,4,a\n", "holds one class ('a')"),
    ("x,label,label\n1,a,b\n2,a,b\n3,a,b\n4,a,b\n", "2 columns headed"),
    ("a,b,label\n1,2,a\n3,4,\n5,6,b\n1,1,a\n", "row 3, column 3 (the label) is empty"),
    ("label\nx\ny\n", "only a label column"),
]


@pytest.mark.parametrize("text, says", BAD)
def test_each_bad_input_gets_its_own_sentence(text, says):
    with pytest.raises(ValueError) as raised:
        read_sequences(text)
    assert says in str(raised.value)


def test_limits_are_named_with_their_values():
    def refused(text, layout="rows", label="header"):
        with pytest.raises(ValueError) as raised:
            read_sequences(text, layout, label)
        return str(raised.value)

    assert f"limit is {MAX_CSV_BYTES:,} bytes" in refused("1," * (MAX_CSV_BYTES // 2 + 1))
    assert f"more than {MAX_CSV_ROWS:,} rows" in refused("1\n2\n" * (MAX_CSV_ROWS // 2 + 1))
    assert f"at most {MAX_CSV_COLUMNS:,}" in refused(",".join(["1"] * (MAX_CSV_COLUMNS + 1)))
    many = "x,label\n" + csv_of([[k, f"c{k}"] for k in range(MAX_CLASSES + 1)])
    assert f"at most {MAX_CLASSES} are allowed" in refused(many, "series")
    wide = csv_of([list(range(k, k + SIZES["n_x"] + 1)) for k in range(3)])
    assert f"at most n_x = {SIZES['n_x']}" in refused(wide, "series")
    assert "the layout must be one of" in refused("1,2\n", "columns")
    assert "the label column must be one of" in refused("1,2\n", "rows", "first")
    assert "the channel “b”" in refused("a,b\n1,3\n2,3\n3,3\n", "series")


CELL = st.one_of(st.text(alphabet="0123456789.-e,;\t\n\"' abcnaif", max_size=8),
                 st.sampled_from(["label", "nan", "inf", "1e999", "-0", "1_0", "٣", "\x00"]))


@HYPOTHESIS
@given(text=st.lists(CELL, max_size=40).map("".join), layout=st.sampled_from(list(LAYOUTS)),
       label=st.sampled_from(list(sequences.LABEL_COLUMNS)))
def test_any_text_is_read_or_refused_with_a_sentence(text, layout, label):
    try:
        data = read_sequences(text, layout, label)
    except ValueError as why:
        message = str(why)
        assert len(message.split()) >= 4 and "Traceback" not in message
        return
    assert np.all(np.isfinite(data.values)) and data.values.shape[1] >= 2


@HYPOTHESIS
@given(data=st.binary(max_size=200))
def test_any_bytes_are_read_or_refused_with_a_sentence(data):
    try:
        read_sequences(data, "series")
    except ValueError as why:
        assert len(str(why).split()) >= 4


@HYPOTHESIS
@given(values=st.integers(4, 9).flatmap(lambda n: st.integers(2, 6).flatmap(
    lambda length: st.lists(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=length,
                                     max_size=length), min_size=n, max_size=n))))
def test_numbers_come_back_in_their_own_units(values):
    raw = np.array(values)
    if raw.std() <= 1e-9 * max(1.0, abs(raw.mean())):
        return   # a constant table is refused, above
    data = read_sequences(csv_of([[repr(v) for v in row] for row in values]))
    np.testing.assert_allclose(data.in_units(data.values[:, :, 0][None])[0], raw,
                               rtol=1e-9, atol=1e-9 * np.abs(raw).max())


def test_the_examples_read_as_their_docstring_says():
    waves = read_sequences((EXAMPLES / "waves.csv").read_bytes(), source="waves.csv")
    assert waves.classes == ("sawtooth", "sine", "square") and waves.values.shape == (240, 30, 1)
    weather = read_sequences((EXAMPLES / "weather.csv").read_bytes(), "series")
    assert weather.channels == ("temperature", "sunshine")
    assert weather.values.shape == (1, 730, 2)


def test_kept_data_sets_are_found_by_key_until_pushed_out():
    first = read_sequences(csv_of([[1, 2], [3, 1], [0, 5], [2, 2]]))
    assert sequences.keep(first) == first.key and sequences.kept(first.key) is first
    same = read_sequences(csv_of([[1, 2], [3, 1], [0, 5], [2, 2]]))
    assert same.key == first.key
    assert read_sequences(csv_of([[1, 2], [3, 1], [0, 5], [2, 2]]), "series").key != first.key
    for k in range(KEPT):
        sequences.keep(read_sequences(csv_of([[1, 2], [3, 1], [0, 5], [2, k + 9]])))
    with pytest.raises(ValueError, match="not on this server"):
        sequences.kept(first.key)


# ----- the task -----------------------------------------------------------------------------

def own(text, *options):
    return make_task(OWN, data=read_sequences(text, *options))


def test_prediction_targets_are_the_next_values_of_the_same_window():
    series = "a,b\n" + csv_of([[t, t * t % 7] for t in range(12)])
    task = own(series, "series")
    assert task.n_x == task.n_y == 2 and task.loss.kind == "squared_error"
    batch = task.batch(rng(), 6, 5)
    np.testing.assert_array_equal(batch.targets[:, :, :-1], batch.x[:, :, 1:])
    first = task.data.in_units(batch.x[:, :, 0])   # (2, m): a, b at the window's start
    np.testing.assert_allclose(first[1], first[0] ** 2 % 7, atol=1e-9)
    assert task.accuracy(batch.x, batch.targets) is None and task.labels(batch.targets) is None
    check_targets(task.loss, batch.targets, task.n_y, 6, 5)


def test_classification_counts_the_last_step_and_labels_every_step():
    task = own((EXAMPLES / "waves.csv").read_text())
    assert task.n_y == 3 and task.loss.where == "last" and task.chance == pytest.approx(1 / 3)
    batch = task.batch(rng(2), 16, 30)
    assert np.all(batch.targets[:, :-1] == -1) and set(batch.targets[:, -1]) <= {0, 1, 2}
    check_targets(task.loss, batch.targets, task.n_y, 16, 30)
    y_hat = np.zeros((3, 16, 30))
    y_hat[batch.targets[:, -1], np.arange(16), -1] = 1.0
    assert task.accuracy(y_hat, batch.targets) == 1.0
    y_hat[:, :8, -1] = np.roll(y_hat[:, :8, -1], 1, axis=0)
    assert task.accuracy(y_hat, batch.targets) == 0.5
    held, names = task.labels(batch.targets)
    assert names == ("sawtooth", "sine", "square")
    np.testing.assert_array_equal(held, np.repeat(batch.targets[:, -1:], 30, axis=1))


def test_t_x_longer_than_the_sequences_is_refused_with_their_length():
    task = own(csv_of([[1, 2, 3], [2, 3, 1], [3, 1, 2], [1, 1, 2]]))
    task.batch(rng(), 2, 2)
    with pytest.raises(ValueError, match="3 steps long, so T_x can be at most 2"):
        task.batch(rng(), 2, 3)


def test_the_task_needs_its_data_and_only_it_takes_data():
    data = read_sequences(csv_of([[1, 2], [3, 1], [0, 5], [2, 2]]))
    with pytest.raises(ValueError, match="need their data"):
        make_task(OWN)
    with pytest.raises(ValueError, match="only the sequences task"):
        make_task("sine", data=data)


def test_predictions_are_the_networks_outputs_in_the_datas_units():
    task = own("a,b\n" + csv_of([[t % 5, 10 * (t % 3)] for t in range(20)]), "series")
    params = init_params("gru", 2, 4, 2, rng(1))
    shown = task.predictions(params, rng(7), 3, 6)
    batch = task.batch(rng(7), 3, 6)   # the same windows
    y_hat = forward(params, batch.x, output="linear").y_hat
    np.testing.assert_allclose(shown.outputs, task.data.in_units(y_hat))
    np.testing.assert_allclose(shown.targets, task.data.in_units(batch.targets))
    np.testing.assert_allclose(shown.inputs[1], 10 * np.round(shown.inputs[1] / 10), atol=1e-9)
    labelled = own((EXAMPLES / "waves.csv").read_text())
    answers = labelled.predictions(init_params("lstm", 1, 4, 3, rng(1)), rng(2), 5, 30)
    assert answers.outputs.shape == (3, 5) and answers.targets.shape == (5,)
    np.testing.assert_allclose(answers.outputs.sum(axis=0), 1.0)
