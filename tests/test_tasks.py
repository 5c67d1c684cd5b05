"""Tasks: shapes, targets on hand-made cases, accuracy, corpus validation, sampling."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnviz.engine import init_params
from rnnviz.engine.losses import check_targets
from rnnviz.training.sequences import read_sequences
from rnnviz.training.tasks import (
    OWN,
    TASKS,
    AddingTask,
    Batch,
    CharTask,
    CopyTask,
    SineTask,
    make_task,
)
from rnnviz.training.text import END, bundled_text, read_text


def rng(seed=0):
    return np.random.default_rng(seed)


def any_task(name):
    """The task `name`; a student's own sequences on a seeded series of 50 steps, 3 channels."""
    if name != OWN:
        return make_task(name)
    values = np.random.default_rng(0).standard_normal((50, 3)).round(3)
    return make_task(OWN, data=read_sequences("\n".join(",".join(map(str, row))
                                                        for row in values), "series"))


# ----- every task -------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(TASKS))
@pytest.mark.parametrize("m, T_x", [(1, 2), (3, 7), (16, 20)])
def test_batch_has_documented_shapes_and_dtypes(name, m, T_x):
    task = any_task(name)
    batch = task.batch(rng(), m, T_x)
    assert isinstance(batch, Batch)
    assert batch.x.shape == (task.n_x, m, T_x)
    assert batch.x.dtype == np.float64
    if task.loss.kind == "cross_entropy":
        assert batch.targets.shape == (m, T_x)
        assert np.issubdtype(batch.targets.dtype, np.integer)
        assert batch.targets.min() >= -1 and batch.targets.max() < task.n_y
    else:
        assert batch.targets.shape == (task.n_y, m, T_x)
    assert np.all(np.isfinite(batch.x))


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(sorted(TASKS)), m=st.integers(1, 9), T_x=st.integers(2, 40),
       seed=st.integers(0, 2**31 - 1))
def test_every_batch_is_accepted_by_the_engine_loss(name, m, T_x, seed):
    task = any_task(name)
    batch = task.batch(rng(seed), m, T_x)
    assert batch.x.shape == (task.n_x, m, T_x)
    check_targets(task.loss, batch.targets, task.n_y, m, T_x)  # raises if malformed
    if task.loss.where == "last" and task.loss.kind == "cross_entropy":
        assert np.all(batch.targets[:, -1] >= 0)


@pytest.mark.parametrize("name", list(TASKS))
def test_same_generator_seed_gives_the_same_batch(name):
    task = any_task(name)
    first, second = task.batch(rng(5), 4, 9), task.batch(rng(5), 4, 9)
    np.testing.assert_array_equal(first.x, second.x)
    np.testing.assert_array_equal(first.targets, second.targets)
    assert not np.array_equal(first.x, task.batch(rng(6), 4, 9).x)


@pytest.mark.parametrize("name", list(TASKS))
def test_every_task_has_words_for_a_student(name):
    task = any_task(name)
    assert task.name == name
    assert task.title and task.description and "T_x" in task.T_x_meaning
    assert task.output == task.loss.output


def test_unknown_task_and_bad_options_raise_value_error():
    with pytest.raises(ValueError, match="unknown task"):
        make_task("parity")
    with pytest.raises(ValueError, match="only the chars task"):
        make_task("sine", text="abc")
    with pytest.raises(ValueError, match="unknown option"):
        make_task("copy", colours=3)
    with pytest.raises(ValueError, match="T_x of at least 2"):
        make_task("adding").batch(rng(), 4, 1)


# ----- chars --------------------------------------------------------------------------------

def test_bundled_corpus_ships_hundreds_of_lowercase_names():
    names = bundled_text().split()
    assert len(names) >= 300
    assert all(name.isalpha() and name.islower() for name in names)
    task = make_task("chars")
    assert task.vocab[0] == END and task.vocab[1:] == list("abcdefghijklmnopqrstuvwxyz")
    assert task.n_x == task.n_y == 27


def test_char_window_reads_a_short_name_then_pads_and_skips():
    task = CharTask("ab\nab")
    batch = task.batch(rng(), 1, 5)
    # END a b END, then padding: x = [END, a, b, END, END]; targets = [a, b, END, -1, -1].
    np.testing.assert_array_equal(batch.x[:, 0, :].argmax(axis=0), [0, 1, 2, 0, 0])
    np.testing.assert_array_equal(batch.targets[0], [1, 2, 0, -1, -1])
    assert np.all(batch.x.sum(axis=0) == 1.0)


def test_char_targets_are_the_next_input_on_long_lines():
    task = CharTask("the quick brown fox jumps over the lazy dog")
    batch = task.batch(rng(3), 8, 10)
    inputs = batch.x.argmax(axis=0)  # (m, T_x)
    assert np.all(batch.targets >= 0)
    np.testing.assert_array_equal(batch.targets[:, :-1], inputs[:, 1:])
    for i in range(8):
        window = task.decode(list(inputs[i]) + [batch.targets[i, -1]])
        assert window.strip(END) in "the quick brown fox jumps over the lazy dog"


def test_encode_decode_round_trip_and_unknown_character():
    task = make_task("chars")
    assert task.decode(task.encode("raptor\n")) == "raptor\n"
    with pytest.raises(ValueError, match="not in this task's vocabulary"):
        task.encode("T-rex")


def test_char_accuracy_counts_only_positions_that_count():
    task = CharTask("ab")
    targets = np.array([[1, 2, -1]])
    y_hat = np.zeros((3, 1, 3))
    y_hat[1, 0, 0] = 1.0  # right
    y_hat[0, 0, 1] = 1.0  # wrong
    y_hat[2, 0, 2] = 1.0  # skipped
    assert task.accuracy(y_hat, targets) == 0.5
    assert task.accuracy(y_hat, np.full((1, 3), -1)) is None


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("   \n\n \t ", "empty"),
    ("aaaa\naaa\n", "only one character"),
    ("abc\x00def", "binary"),
    ("".join(chr(i % 32) for i in range(200)) + "abc", "binary"),
    (b"\xff\xfe\x00\x01", "saved as UTF-16"),
    ("caf\u00e9".encode("latin-1"), "not valid UTF-8"),
    ("ab" * 50_001, "limit is 100,000 bytes"),
])
def test_bad_corpus_is_refused_with_a_clear_sentence(text, message):
    with pytest.raises(ValueError, match=message):
        make_task("chars", text=text)


def test_pasted_text_with_many_characters_drops_the_rarest():
    common = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "  # 63
    text = common * 3 + "\n" + "é€"
    task = make_task("chars", text=text)
    assert task.n_x == 64
    assert set(task.dropped) == {"é", "€"}
    assert make_task("chars", text="line one\r\nline two").lines == ["line one", "line two"]


def test_characters_left_out_are_named_with_the_reason_and_their_share():
    common = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "  # 63
    rare = "\t*_é€" + "".join(chr(0x3b1 + i) for i in range(20))  # 25: \t, *, _, é, €, α…
    task = make_task("chars", text=common * 10 + "\n" + rare)
    (note,) = task.notes
    assert note.startswith("25 rare characters were left out of the text: '\\t', '*', '_', "
                           "'é', 'α', ")
    assert note.count("'") == 2 * 20 and "and 5 more" in note
    assert ("because the model has at most 64 inputs, one for each of the 63 most frequent "
            "characters and one for the end of a line. They made up 3.8% of the characters."
            in note)
    (one,) = make_task("chars", text=common * 3 + "\né").notes
    assert one.startswith("1 rare character was left out of the text: 'é', because")
    assert one.endswith("It made up 0.53% of the characters.")
    assert make_task("chars", text=common).notes == () == make_task("chars").notes


def test_a_text_just_over_the_limit_is_refused_with_sizes_that_differ():
    for text in ("a" * 100_001, b"a" * 100_001, "é" * 50_001):
        with pytest.raises(ValueError) as refused:
            make_task("chars", text=text)
        size = len(text) if isinstance(text, bytes) else len(text.encode())
        assert str(refused.value) == (f"The text is {size:,} bytes; the limit is 100,000 bytes "
                                      "(100 kB). Use a shorter piece of it.")
    assert len(make_task("chars", text="ab\n" * 33_333 + "a").lines) == 33_334  # 100,000


def test_a_text_file_is_read_as_utf8_or_refused_with_its_name():
    assert read_text("\ufeffnames\r\nmore".encode(), "names.txt") == "names\nmore"
    refusals = {
        "big.txt": (b"x" * 100_001, "big.txt is 100,001 bytes; the limit is 100,000 bytes"),
        "wide.txt": ("names".encode("utf-16"), "wide.txt is saved as UTF-16, not UTF-8"),
        "latin.txt": ("Tyrannosaurus\nCarnotaure\xe9".encode("latin-1"),
                      "latin.txt is not valid UTF-8: byte 0xe9 at position 24"),
        "image.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff",
                      "image.txt looks like binary data, not text"),
        "controls.txt": (bytes(range(1, 32)) * 10, "controls.txt looks like binary data"),
        "blank.txt": (b" \n\n", "blank.txt is empty"),
    }
    for name, (data, message) in refusals.items():
        with pytest.raises(ValueError, match=message):
            read_text(data, name)


def test_sample_is_seeded_uses_the_prefix_and_respects_max_len():
    task = make_task("chars")
    params = init_params("lstm", task.n_x, 8, task.n_y, rng(1))
    first = task.sample(params, rng(2), prefix="tyr", max_len=12)
    assert first == task.sample(params, rng(2), prefix="tyr", max_len=12)
    assert first.startswith("tyr") and len(first) <= 3 + 12
    assert END not in first
    assert set(first) <= set(task.vocab)
    rnn = init_params("rnn", task.n_x, 4, task.n_y, rng(1))
    assert len(task.sample(rnn, rng(0), max_len=1)) <= 1


def test_sample_at_low_temperature_is_the_argmax_chain():
    task = CharTask("ab\nba")
    params = init_params("rnn", task.n_x, 3, task.n_y, rng(4), weight_scale=3.0)
    cold = {task.sample(params, rng(seed), temperature=1e-3, max_len=6) for seed in range(5)}
    assert len(cold) == 1


def test_any_positive_temperature_samples_and_a_tiny_one_is_greedy():
    task = CharTask("ab\nba")
    params = init_params("rnn", task.n_x, 3, task.n_y, rng(4), weight_scale=3.0)
    greedy = task.sample(params, rng(0), temperature=1e-3, max_len=6)
    for temperature in (5e-324, 1e-300, 1e-12):  # z / T overflows: NaN probabilities on main
        assert {task.sample(params, rng(seed), temperature=temperature, max_len=6)
                for seed in range(5)} == {greedy}
    for temperature in (1e6, 1e300, 1.7e308):  # every character alike, still a name
        assert set(task.sample(params, rng(0), temperature=temperature)) <= set(task.vocab)


def test_sample_rejects_bad_arguments():
    task = make_task("chars")
    params = init_params("lstm", task.n_x, 4, task.n_y, rng())
    for temperature in (0.0, -1.0, float("inf"), float("nan"), "warm", None):
        with pytest.raises(ValueError, match=f"the temperature must be a finite number above "
                                             f"0; got {temperature!r}"):
            task.sample(params, rng(), temperature=temperature)
    with pytest.raises(ValueError, match="vocabulary size"):
        task.sample(init_params("lstm", 3, 4, 3, rng()), rng())


# ----- adding -------------------------------------------------------------------------------

def test_adding_target_is_the_sum_of_the_two_marked_values():
    task = AddingTask()
    batch = task.batch(rng(7), 50, 12)
    values, markers = batch.x[0], batch.x[1]
    assert np.all(markers.sum(axis=1) == 2)
    assert np.all((values >= 0) & (values <= 1))
    np.testing.assert_allclose(batch.targets[0, :, -1], (values * markers).sum(axis=1))
    assert np.all(batch.targets[0, :, :-1] == 0)
    for i in range(50):
        first, second = np.nonzero(markers[i])[0]
        assert first < 6 <= second  # one marker in each half


def test_adding_with_two_steps_marks_both():
    batch = AddingTask().batch(rng(), 3, 2)
    assert np.all(batch.x[1] == 1.0)
    np.testing.assert_allclose(batch.targets[0, :, 1], batch.x[0].sum(axis=1))


def test_adding_accuracy_uses_the_0_04_threshold():
    task = AddingTask()
    targets = np.zeros((1, 4, 3))
    targets[0, :, -1] = [1.0, 1.0, 1.0, 1.0]
    y_hat = np.zeros((1, 4, 3))
    y_hat[0, :, -1] = [1.0, 1.039, 0.95, 2.0]
    assert task.accuracy(y_hat, targets) == 0.5


# ----- copy ---------------------------------------------------------------------------------

def test_copy_shows_the_marked_symbol_first_distractors_between_and_the_cue_last():
    task = CopyTask(symbols=3)
    assert (task.n_x, task.n_y, task.chance) == (5, 3, 1 / 3)
    batch = task.batch(rng(2), 40, 6)
    x = batch.x
    symbols, marker, cue = x[:3], x[3], x[4]
    assert np.all(symbols[:, :, 0].sum(axis=0) == 1) and np.all(marker[:, 0] == 1)
    np.testing.assert_array_equal(batch.targets[:, -1], symbols[:, :, 0].argmax(axis=0))
    assert np.all(batch.targets[:, :-1] == -1)
    # In between: one random symbol per step on the same channels, no marker, no cue.
    assert np.all(symbols[:, :, 1:5].sum(axis=0) == 1)
    assert np.all(marker[:, 1:] == 0) and np.all(cue[:, :-1] == 0)
    assert np.all(cue[:, -1] == 1) and np.all(symbols[:, :, -1] == 0)
    assert len(np.unique(symbols[:, :, 1:5].argmax(axis=0))) == 3


def test_copy_without_distractors_leaves_the_delay_blank():
    batch = CopyTask(distractors=False).batch(rng(), 5, 8)
    assert np.all(batch.x[:, :, 1:7] == 0)
    with pytest.raises(ValueError, match="2 to 32 symbols"):
        CopyTask(symbols=1)


def test_copy_with_one_step_shows_symbol_marker_and_cue_together():
    task = CopyTask()
    batch = task.batch(rng(), 5, 1)
    assert np.all(batch.x[task.marker, :, 0] == 1) and np.all(batch.x[task.cue, :, 0] == 1)
    np.testing.assert_array_equal(batch.x[:task.symbols, :, 0].argmax(axis=0),
                                  batch.targets[:, 0])


def test_copy_accuracy_reads_the_last_step():
    task = CopyTask(symbols=3)
    targets = np.array([[-1, 2], [-1, 0]])
    y_hat = np.zeros((3, 2, 2))
    y_hat[2, 0, 1] = 0.9
    y_hat[1, 1, 1] = 0.9
    y_hat[0, 1, 0] = 1.0  # earlier steps do not count
    assert task.accuracy(y_hat, targets) == 0.5


# ----- sine ---------------------------------------------------------------------------------

def test_sine_target_is_the_clean_next_value_and_input_is_noisy():
    clean = SineTask(noise=0.0).batch(rng(9), 4, 30)
    np.testing.assert_allclose(clean.x[0, :, 1:], clean.targets[0, :, :-1])
    assert np.all(np.abs(clean.targets) <= 1.0)
    noisy = SineTask(noise=0.1).batch(rng(9), 200, 30)
    residual = noisy.x[0, :, 1:] - noisy.targets[0, :, :-1]
    assert 0.08 < residual.std() < 0.12
    assert SineTask().accuracy(noisy.x, noisy.targets) is None


# ----- 3-bit flip-flop --------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), m=st.integers(1, 6), T_x=st.integers(1, 30),
       pulse=st.floats(0.01, 0.5))
def test_flipflop_targets_hold_each_channels_last_pulse(seed, m, T_x, pulse):
    task = make_task("flipflop", pulse=pulse)
    batch = task.batch(rng(seed), m, T_x)
    assert set(np.unique(batch.x)) <= {-1.0, 0.0, 1.0}
    assert np.all(batch.x[:, :, 0] != 0)   # every channel set at t = 1
    for i in range(3):
        for example in range(m):
            held = None
            for t in range(T_x):
                if batch.x[i, example, t] != 0:
                    held = batch.x[i, example, t]
                assert batch.targets[i, example, t] == held


def test_flipflop_accuracy_and_labels():
    task = make_task("flipflop")
    batch = task.batch(rng(1), 4, 12)
    assert task.accuracy(batch.targets * 0.3, batch.targets) == 1.0
    assert task.accuracy(-batch.targets, batch.targets) == 0.0
    labels, names = task.labels(batch.targets)
    assert labels.shape == (4, 12) and len(names) == 8 and len(set(names)) == 8
    for example, t in [(0, 0), (3, 11)]:
        bits = "".join("+" if b > 0 else "−" for b in batch.targets[:, example, t])
        assert names[labels[example, t]].replace(" ", "") == bits
    with pytest.raises(ValueError, match="pulse probability"):
        make_task("flipflop", pulse=0.0)


def test_copy_labels_are_the_held_symbol_and_other_tasks_have_none():
    task = make_task("copy")
    batch = task.batch(rng(2), 5, 7)
    labels, names = task.labels(batch.targets)
    assert np.all(labels == batch.targets[:, -1:]) and names[3] == "symbol 3"
    assert make_task("sine").labels(make_task("sine").batch(rng(0), 2, 4).targets) is None
