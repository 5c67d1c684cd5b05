"""Taking a model out to PyTorch (rnnviz.training.export): the exported weights, read with
PyTorch's own equations for nn.RNN and nn.LSTM (written out here in NumPy) and the course's
GRU, give rnnviz's outputs; and where PyTorch is installed, the script itself runs and
checks itself."""

import io
import os
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest

from rnnviz.engine import CELLS, forward, init_params
from rnnviz.engine.activations import sigmoid
from rnnviz.training.export import SCRIPT_NAME, WEIGHTS_NAME, pytorch_archive, state_dict

N_X, N_A, N_Y, M, T_X = 3, 4, 5, 2, 6
TORCH_PYTHON = os.environ.get("RNNVIZ_TORCH_PYTHON", "/work/venv-torch/bin/python")


def torch_rnn(w, x):
    """nn.RNN (tanh), as PyTorch documents it: h' = tanh(W_ih x + b_ih + W_hh h + b_hh)."""
    h, out = np.zeros(N_A), []
    for xt in x:
        h = np.tanh(w["rnn.weight_ih_l0"] @ xt + w["rnn.bias_ih_l0"]
                    + w["rnn.weight_hh_l0"] @ h + w["rnn.bias_hh_l0"])
        out.append(h)
    return np.array(out)


def torch_lstm(w, x):
    """nn.LSTM, as PyTorch documents it: gates (i, f, g, o) stacked in that order."""
    h, c, out = np.zeros(N_A), np.zeros(N_A), []
    for xt in x:
        z = (w["rnn.weight_ih_l0"] @ xt + w["rnn.bias_ih_l0"] + w["rnn.weight_hh_l0"] @ h
             + w["rnn.bias_hh_l0"])
        i, f, g, o = sigmoid(z[:N_A]), sigmoid(z[N_A:2 * N_A]), np.tanh(z[2 * N_A:3 * N_A]), \
            sigmoid(z[3 * N_A:])
        c = f * c + i * g
        h = o * np.tanh(c)
        out.append(h)
    return np.array(out)


def course_gru(w, x):
    """The script's CourseGRU, its equations in NumPy."""
    a, out = np.zeros(N_A), []
    for xt in x:
        concat = np.concatenate([a, xt])
        r = sigmoid(w["rnn.Wr"] @ concat + w["rnn.br"][:, 0])
        u = sigmoid(w["rnn.Wu"] @ concat + w["rnn.bu"][:, 0])
        c = np.tanh(w["rnn.Wc"] @ np.concatenate([r * a, xt]) + w["rnn.bc"][:, 0])
        a = u * c + (1 - u) * a
        out.append(a)
    return np.array(out)


READ = {"rnn": torch_rnn, "lstm": torch_lstm, "gru": course_gru}


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_the_exported_weights_compute_rnnvizs_outputs_with_pytorchs_equations(cell):
    rng = np.random.default_rng(4)
    params = init_params(cell, N_X, N_A, N_Y, rng, weight_scale=1.3)
    params = params.__class__(**{**vars(params), **{
        name: rng.standard_normal(getattr(params, name).shape)
        for name in params.names() if name.startswith("b")}})   # every bias in play
    x = rng.standard_normal((N_X, M, T_X))
    trace = forward(params, x)
    w = state_dict(params)
    for example in range(M):
        a = READ[cell](w, x[:, example, :].T)   # (T_x, n_a)
        np.testing.assert_allclose(a, trace.a[:, example, :].T, rtol=1e-12, atol=1e-14)
        z_y = a @ w["out.weight"].T + w["out.bias"]
        np.testing.assert_allclose(z_y, trace.z_y[:, example, :].T, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize("output", ["softmax", "linear"])
def test_the_archive_holds_the_script_the_weights_and_a_check_batch(cell, output):
    params = init_params(cell, N_X, N_A, N_Y, np.random.default_rng(0))
    archive = zipfile.ZipFile(io.BytesIO(pytorch_archive(params, "a run", output)))
    assert sorted(archive.namelist()) == sorted([SCRIPT_NAME, WEIGHTS_NAME])
    text = archive.read(SCRIPT_NAME).decode()
    compile(text, SCRIPT_NAME, "exec")   # valid Python
    assert f'OUTPUT = "{output}"' in text and f"N_X, N_A, N_Y = {N_X}, {N_A}, {N_Y}" in text
    with np.load(io.BytesIO(archive.read(WEIGHTS_NAME))) as weights:
        x, y_hat = weights["check/x"], weights["check/y_hat"]
        np.testing.assert_array_equal(
            y_hat, forward(params, x.transpose(2, 1, 0), output=output).y_hat.transpose(2, 1, 0))
        assert set(weights.files) - {"check/x", "check/y_hat"} == set(state_dict(params))


@pytest.mark.skipif(not Path(TORCH_PYTHON).is_file(),
                    reason=f"no Python with PyTorch at {TORCH_PYTHON} (RNNVIZ_TORCH_PYTHON)")
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_the_script_runs_in_pytorch_and_checks_itself(cell, tmp_path):
    params = init_params(cell, N_X, N_A, N_Y, np.random.default_rng(2), weight_scale=1.2)
    zipfile.ZipFile(io.BytesIO(pytorch_archive(params, "a run"))).extractall(tmp_path)
    done = subprocess.run([TORCH_PYTHON, SCRIPT_NAME], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "The PyTorch model gives rnnviz's outputs" in done.stdout
