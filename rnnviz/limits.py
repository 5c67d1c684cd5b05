"""The product's limits, stated once: every layer that validates or shows one imports it here.

A classroom server is shared by every student, so each size, run and upload is bounded; a
value above its limit is refused with a message that names the limit, never computed.
"""

SIZES = {"n_x": 64, "n_y": 64, "n_a": 256, "m": 64, "T_x": 200}  # the network and its batch
MAX_SEED = 2**31 - 1          # seeds are 0 … MAX_SEED
MAX_TRAIN_STEPS = 20_000      # training steps per run
MAX_SNAPSHOTS = 200           # parameter snapshots kept per run
# the memory maps: min(n_y, n_a) T_x^2 n_a^2 at most this (n_y = 64, n_a = 128, T_x = 100: about
# 6 CPU-seconds for the three cells here; the limits would take a minute)
MEMORY_MAP_WORK = 64 * 100 ** 2 * 128 ** 2
# the step Jacobians' eigenvalues along a run: T_x n_s^3 at most this (the LSTM at n_a = 64,
# T_x = 60: n_s = 128, about a CPU-second)
STEP_SPECTRA_WORK = 60 * 128 ** 3
# the spectra of a run's snapshots, for the spectral radius over training: snapshots x blocks x
# n_a^3 at most this (40 eigensolves at n_a = 256, about a CPU-second); more, evenly spaced
SCRUB_SPECTRA_WORK = 40 * 256 ** 3
# truncated BPTT on Gradient flow: cell steps back-propagated x m x n_a^2 x recurrent blocks at
# most this (the RNN at the limits with the loss at every step: k up to 12, 2 CPU-seconds)
TRUNCATION_WORK = 2_400 * 64 * 256 ** 2
MAX_TEXT_BYTES = 100_000      # pasted training text, UTF-8
# a student's own sequences (rnnviz.training.sequences): the CSV's UTF-8 bytes, its rows and
# cells a row, the distinct labels of a classification, and the fewest sequences to learn from
MAX_CSV_BYTES = 100_000
MAX_CSV_ROWS = 10_000
MAX_CSV_COLUMNS = 1_000
MAX_CLASSES = 20
MIN_SEQUENCES = 4
MAX_INTERVENTIONS = 5         # interventions in one forward pass (the Gate lab's list)
# The values the Gate lab sets a state to: a stays in tanh's range; c within ±5, where
# tanh(c), and so a = o∘tanh(c), is already within 1e-4 of ±o
STATE_VALUES = {"a": (-1.0, 1.0), "c": (-5.0, 5.0)}
TEXT_VIEW_CHARS = 2_000       # positions of text a network reads on the Units on text page
# the initialisation knobs' ranges: (low, high); a gate's bias, and the memory bias that sets one
_BIAS = (-10.0, 10.0)
KNOBS = {"weight_scale": (0.01, 5.0), "spectral_radius": (0.0, 3.0), "forget_bias": _BIAS,
         "gate_bias": _BIAS}
# A model file's settings, as JSON text. The pasted text or the CSV (a run has one at most) is
# the only long setting, and JSON writes each of its UTF-8 bytes as at most 6 characters (a
# control character as \u0001); every other setting together takes well under 4,000. So any
# run's settings fit, and a file whose settings are longer was not saved by rnnviz (NumPy
# keeps them as 4 bytes a character).
MAX_CONFIG_CHARS = 6 * max(MAX_TEXT_BYTES, MAX_CSV_BYTES) + 4_000
