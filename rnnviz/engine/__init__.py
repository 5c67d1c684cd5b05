"""The NumPy engine: recurrent cells, their forward passes and back-propagation through time.

NumPy and the standard library only; nothing here knows about pages, URLs or sentences.

    params = init_params("lstm", n_x, n_a, n_y, np.random.default_rng(seed))
    trace = forward(params, x)                     # x: (n_x, m, T_x)
    result = backward(params, trace, targets, Loss("cross_entropy", "all"))

Each cell lives in its own module (`rnn`, `lstm`), which opens with its readable step pair and
ends with its description (`CELLS[name]`), the data the layers above iterate over.
"""

from rnnviz.engine.activations import sigmoid, softmax
from rnnviz.engine.cells import CELLS, cell_of, get_cell, init_params
from rnnviz.engine.description import Cell, Projection
from rnnviz.engine.gradcheck import gradient_check
from rnnviz.engine.losses import Loss
from rnnviz.engine.lstm import LSTMTrace
from rnnviz.engine.model import Backprop, backward, forward, loss_and_gradients, loss_value
from rnnviz.engine.params import LSTMParams, RNNParams
from rnnviz.engine.rnn import RNNTrace

__all__ = [
    "CELLS", "Backprop", "Cell", "LSTMParams", "LSTMTrace", "Loss", "Projection", "RNNParams",
    "RNNTrace", "backward", "cell_of", "forward", "get_cell", "gradient_check", "init_params",
    "loss_and_gradients", "loss_value", "sigmoid", "softmax",
]
