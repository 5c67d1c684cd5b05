"""Take a model out: a trained network as a small PyTorch script plus its weights, so a student
can go on in the framework they will use next.

The archive (a .zip) holds ``rnnviz_model.py`` and ``weights.npz``: the weights under the
script's ``state_dict`` names (float64), and ``check/x``, ``check/y_hat``: an input batch in
PyTorch's layout (T_x, m, n_x) and what rnnviz's forward pass gives for it, which the script
compares with its own output when run (``python rnnviz_model.py``).

How the weights map (ours act on concat = [a<t-1>; x<t>]; W[:, :n_a] multiplies a<t-1>):

- RNN -> ``nn.RNN`` (tanh): weight_ih = Wax, weight_hh = Waa, bias_ih = ba, bias_hh = 0.
- LSTM -> ``nn.LSTM``, whose gates are stacked (i, f, g, o): i is our update gate u, f the
  forget gate, g the candidate c~, o the output gate: weight_ih = [Wu; Wf; Wc; Wo][:, n_a:],
  weight_hh = the same rows' [:, :n_a], bias_ih = [bu; bf; bc; bo], bias_hh = 0.
- GRU -> a module in the course's form (``CourseGRU``, the script defines it): PyTorch's
  ``nn.GRU`` applies the reset gate after the product and its z is our 1 - u, so the same
  weights would compute another function there.
- The output layer -> ``nn.Linear(n_a, n_y)``: weight = Wy (Wya), bias = by; the script's
  model returns the logits z_y<t>, and softmax over the last axis gives y_hat<t>.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import numpy as np

from rnnviz.engine import forward
from rnnviz.engine.cells import cell_of
from rnnviz.engine.params import Params

SCRIPT_NAME, WEIGHTS_NAME = "rnnviz_model.py", "weights.npz"
CHECK_EXAMPLES, CHECK_STEPS = 3, 5  # the batch the script checks itself on


def _torch_rnn(params: Params) -> dict[str, np.ndarray]:
    zeros = np.zeros(params.Waa.shape[0])
    return {"rnn.weight_ih_l0": params.Wax, "rnn.weight_hh_l0": params.Waa,
            "rnn.bias_ih_l0": params.ba[:, 0], "rnn.bias_hh_l0": zeros}


_TORCH_LSTM_ORDER = (("Wu", "bu"), ("Wf", "bf"), ("Wc", "bc"), ("Wo", "bo"))  # (i, f, g, o)


def _torch_lstm(params: Params) -> dict[str, np.ndarray]:
    n_a = params.Wf.shape[0]
    W = np.concatenate([getattr(params, w) for w, _ in _TORCH_LSTM_ORDER])
    b = np.concatenate([getattr(params, b)[:, 0] for _, b in _TORCH_LSTM_ORDER])
    return {"rnn.weight_ih_l0": W[:, n_a:], "rnn.weight_hh_l0": W[:, :n_a],
            "rnn.bias_ih_l0": b, "rnn.bias_hh_l0": np.zeros_like(b)}


def _course_gru(params: Params) -> dict[str, np.ndarray]:
    return {f"rnn.{name}": getattr(params, name)
            for name in ("Wr", "br", "Wu", "bu", "Wc", "bc")}


# {cell: (its recurrent part's state_dict, the module the script builds for it)}
RECURRENT: dict[str, tuple[Callable[[Params], dict], str]] = {
    "rnn": (_torch_rnn, "nn.RNN(N_X, N_A, nonlinearity='tanh')"),
    "lstm": (_torch_lstm, "nn.LSTM(N_X, N_A)"),
    "gru": (_course_gru, "CourseGRU(N_X, N_A)"),
}


def state_dict(params: Params) -> dict[str, np.ndarray]:
    """The script's Model's state_dict, as float64 arrays."""
    recurrent, _ = RECURRENT[params.cell]
    W_y = getattr(params, cell_of(params).output_weight)
    return {name: np.ascontiguousarray(value, dtype=np.float64) for name, value in
            {**recurrent(params), "out.weight": W_y, "out.bias": params.by[:, 0]}.items()}


def script(params: Params, label: str, output: str = "softmax") -> str:
    """The PyTorch script for these parameters (`label`: the run, for its docstring;
    `output`: "softmax" or "linear", the output layer's activation)."""
    sizes = params.sizes
    _, module = RECURRENT[params.cell]
    return _SCRIPT.format(label=label, cell=cell_of(params).label, n_x=sizes["n_x"],
                          n_a=sizes["n_a"], n_y=sizes["n_y"], module=module,
                          weights=WEIGHTS_NAME, output=output)


def pytorch_archive(params: Params, label: str, output: str = "softmax",
                    seed: int = 0) -> bytes:
    """The .zip: the script and the weights with a check batch (drawn from `seed`);
    `output` as for `script`."""
    x = np.random.default_rng(seed).standard_normal(
        (params.sizes["n_x"], CHECK_EXAMPLES, CHECK_STEPS))
    y_hat = forward(params, x, output=output).y_hat
    weights = io.BytesIO()
    np.savez(weights, **state_dict(params), **{"check/x": x.transpose(2, 1, 0),
                                               "check/y_hat": y_hat.transpose(2, 1, 0)})
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr(SCRIPT_NAME, script(params, label, output))
        out.writestr(WEIGHTS_NAME, weights.getvalue())
    return archive.getvalue()


_SCRIPT = '''"""{cell} trained in rnnviz ({label}), for PyTorch.

    python rnnviz_model.py      # loads {weights}, checks the model against rnnviz's output

In your own code:  model = load();  z_y, state = model(x)  with x of shape
(T_x, m, n_x) float64; y_hat<t> is softmax(z_y, -1) for a softmax output, z_y itself for a
linear one (this model's: {output}).
"""

import numpy as np
import torch
from torch import nn

N_X, N_A, N_Y = {n_x}, {n_a}, {n_y}
OUTPUT = "{output}"


class CourseGRU(nn.Module):
    """The GRU in the course's form (the reset gate acts on a<t-1> before the product):
    r = sigmoid(Wr [a; x] + br), u = sigmoid(Wu [a; x] + bu),
    c~ = tanh(Wc [r * a; x] + bc), a<t> = u * c~ + (1 - u) * a<t-1>."""

    def __init__(self, n_x, n_a):
        super().__init__()
        self.n_a = n_a
        for gate in ("r", "u", "c"):
            setattr(self, "W" + gate, nn.Parameter(torch.zeros(n_a, n_a + n_x)))
            setattr(self, "b" + gate, nn.Parameter(torch.zeros(n_a, 1)))

    def forward(self, x, a=None):
        a = x.new_zeros(x.shape[1], self.n_a) if a is None else a[0]
        states = []
        for xt in x:
            concat = torch.cat([a, xt], dim=1)
            r = torch.sigmoid(concat @ self.Wr.T + self.br.T)
            u = torch.sigmoid(concat @ self.Wu.T + self.bu.T)
            c = torch.tanh(torch.cat([r * a, xt], dim=1) @ self.Wc.T + self.bc.T)
            a = u * c + (1 - u) * a
            states.append(a)
        return torch.stack(states), a[None]


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = {module}
        self.out = nn.Linear(N_A, N_Y)

    def forward(self, x, state=None):
        a, state = self.rnn(x, state)
        return self.out(a), state


def load(path="{weights}"):
    model = Model().double()
    with np.load(path) as weights:
        model.load_state_dict({{name: torch.from_numpy(weights[name]) for name in weights.files
                                if not name.startswith("check/")}})
    return model


if __name__ == "__main__":
    model = load()
    with np.load("{weights}") as weights:
        x, expected = weights["check/x"], weights["check/y_hat"]
    with torch.no_grad():
        z_y = model(torch.from_numpy(x))[0]
        y_hat = (torch.softmax(z_y, dim=-1) if OUTPUT == "softmax" else z_y).numpy()
    gap = float(np.max(np.abs(y_hat - expected)))
    assert gap < 1e-9, f"differs from rnnviz by {{gap:.1e}}"
    print(f"The PyTorch model gives rnnviz's outputs (largest difference {{gap:.1e}}).")
'''
