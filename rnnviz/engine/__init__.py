"""The NumPy engine: recurrent cells, their forward passes and back-propagation through time.

NumPy and the standard library only; nothing here knows about pages, URLs or sentences.

    params = init_params("lstm", n_x, n_a, n_y, np.random.default_rng(seed))
    trace = forward(params, x)                     # x: (n_x, m, T_x)
    result = backward(params, trace, targets, Loss("cross_entropy", "all"))
    # a gate clamped or a state set on chosen units and steps, then exact BPTT through it
    trace = forward(params, x, interventions=[Intervention("f", 0.0, steps=[5])])

Each cell lives in its own module (`rnn`, `lstm`, `gru`), which opens with its readable step pair
(`rnn_step_forward`, `rnn_step_backward`, ...), keeps its parameters and its trace, and ends
with its description (`CELLS[name]`), the data the layers above iterate over; the fused
sequence kernel the engine runs is in its private module (`_rnn_kernel`, ...).

    S = input_saliency(params, x, example=0)       # the memory map ||dy_hat<t>/dx<s>||
"""

from rnnviz.engine._arrays import give_back_freed_memory, keep_freed_memory_for_reuse
from rnnviz.engine.activations import sigmoid, softmax
from rnnviz.engine.cells import CELLS, cell_of, get_cell, init_params
from rnnviz.engine.description import Cell, Projection, Trace
from rnnviz.engine.gradcheck import gradient_check
from rnnviz.engine.gru import GRUParams, GRUTrace, gru_step_backward, gru_step_forward
from rnnviz.engine.interventions import Intervention
from rnnviz.engine.losses import Loss
from rnnviz.engine.lstm import (
    LSTMParams,
    LSTMTrace,
    lstm_step_backward,
    lstm_step_forward,
)
from rnnviz.engine.model import Backprop, backward, forward, loss_and_gradients, loss_value
from rnnviz.engine.params import Params
from rnnviz.engine.rnn import RNNParams, RNNTrace, rnn_step_backward, rnn_step_forward
from rnnviz.engine.saliency import input_saliency

__all__ = [
    "CELLS", "Backprop", "Cell", "GRUParams", "GRUTrace", "Intervention", "LSTMParams",
    "LSTMTrace", "Loss", "Params", "Projection", "RNNParams", "RNNTrace", "Trace", "backward",
    "cell_of", "forward", "get_cell", "give_back_freed_memory", "gradient_check",
    "gru_step_backward", "gru_step_forward", "init_params", "input_saliency",
    "keep_freed_memory_for_reuse",
    "loss_and_gradients", "loss_value",
    "lstm_step_backward", "lstm_step_forward", "rnn_step_backward", "rnn_step_forward",
    "sigmoid", "softmax",
]
