"""The course notebook's functions, with its names and signatures, over the engine's core.

A student's notebook maps onto the engine one to one. Parameters are the notebook's
string-keyed dicts ({"Wax": ..., "Waa": ..., ...}); caches keep the notebook's outer form
``(list of per-step caches, x)``, so its printed checks (``len(caches)``,
``caches[1][1][3]``) still hold. Every function here calls rnnviz.engine.model; nothing is
computed a second time: the backward functions take the states and gates the forward pass
left in the caches.

RNN (linear output, as in the notebook)::

    a<t> = tanh(Wax x<t> + Waa a<t-1> + ba),   y_hat<t> = Wya a<t> + by

LSTM (softmax output; c<0> = 0): see rnnviz.engine.lstm for the gate equations.

GRU (softmax output), in the notebook's style though the notebook stops before it:
``gru_cell_forward``, ``gru_forward``, ``gru_backward``; see rnnviz.engine.gru.

Backward (``rnn_backward``, ``lstm_backward``), from dA = dL/da<t> arriving from outside the
recurrence at every t, BPTT as derived in rnnviz.engine.rnn and rnnviz.engine.lstm::

    da<t> (total) = dA<t> + (gradient through a<t+1>)
    RNN:  dz<t> = da<t> (1 - a<t>^2),  da<t-1> += Waa^T dz<t>,  dx<t> = Wax^T dz<t>
    dW = sum_t dz<t> (input of that product at t)^T,  db = sum_t,m dz<t>

The notebook's LSTM cell has a bug: ``concat[na:, :] = nx`` stores the integer n_x where
x<t> belongs, so every input it sees is the constant n_x and the LSTM values it printed are
wrong. ``lstm_forward(..., reproduce_concat_bug=True)`` reproduces them for comparison; its
caches are refused by ``lstm_backward``, since that cell ignores x.

Every function checks its arguments (rnnviz.engine._arrays) and raises a TypeError or
ValueError that names the one that is wrong and what was expected.
"""

from rnnviz.notebook.adam import initialize_adam, update_parameters_with_adam
from rnnviz.notebook.example import (
    DRAW_ORDER,
    NOTEBOOK_SEED,
    NOTEBOOK_SIZES,
    NOTEBOOK_T_X,
    notebook_example,
)
from rnnviz.notebook.sequences import (
    gru_backward,
    gru_cell_forward,
    gru_forward,
    lstm_backward,
    lstm_cell_forward,
    lstm_forward,
    rnn_backward,
    rnn_forward,
    rnn_forward_block,
    sigmoid,
    softmax,
)

__all__ = [
    "DRAW_ORDER", "NOTEBOOK_SEED", "NOTEBOOK_SIZES", "NOTEBOOK_T_X", "gru_backward",
    "gru_cell_forward", "gru_forward", "initialize_adam", "lstm_backward", "lstm_cell_forward",
    "lstm_forward", "notebook_example", "rnn_backward", "rnn_forward", "rnn_forward_block",
    "sigmoid", "softmax", "update_parameters_with_adam",
]
