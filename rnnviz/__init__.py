"""rnnviz: a NumPy engine for a vanilla RNN and an LSTM, in the notebook's notation."""

from rnnviz.activations import sigmoid, softmax
from rnnviz.gradcheck import gradient_check
from rnnviz.losses import Loss
from rnnviz.lstm import LSTMTrace
from rnnviz.model import Backprop, backward, forward, loss_and_gradients, loss_value
from rnnviz.params import LSTMParams, RNNParams, init_lstm, init_params, init_rnn
from rnnviz.rnn import RNNTrace

__all__ = [
    "Backprop", "LSTMParams", "LSTMTrace", "Loss", "RNNParams", "RNNTrace", "backward",
    "forward", "gradient_check", "init_lstm", "init_params", "init_rnn", "loss_and_gradients",
    "loss_value", "sigmoid", "softmax",
]
