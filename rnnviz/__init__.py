"""rnnviz: a NumPy engine for a vanilla RNN and an LSTM, in the notebook's notation."""

from rnnviz.engine.activations import sigmoid, softmax
from rnnviz.engine.gradcheck import gradient_check
from rnnviz.engine.losses import Loss
from rnnviz.engine.lstm import LSTMTrace
from rnnviz.engine.model import Backprop, backward, forward, loss_and_gradients, loss_value
from rnnviz.engine.params import LSTMParams, RNNParams, init_lstm, init_params, init_rnn
from rnnviz.engine.rnn import RNNTrace

__all__ = [
    "Backprop", "LSTMParams", "LSTMTrace", "Loss", "RNNParams", "RNNTrace", "backward",
    "forward", "gradient_check", "init_lstm", "init_params", "init_rnn", "loss_and_gradients",
    "loss_value", "sigmoid", "softmax",
]
