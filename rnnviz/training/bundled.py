"""Ready-trained networks, bundled with the app so a lesson does not start with training.

Each is a model file (rnnviz.training.files) in data/networks/, named by its key, made by
`make` from its recipe below (python examples/make_ready_networks.py writes them all). A file
holds the settings it was trained with (seed, steps and all), and, under "recipe", how it was
made and what it reached::

    made_by       the command that made it
    kernel        the engine's sigmoid/tanh kernel it trained with (rnnviz.engine.activations)
    cpu_seconds   the CPU time its training took
    training      {"loss", "accuracy"}: the mean over its last TAIL training steps
    evaluation    {"sequences", "seed", "loss", "accuracy"}: on fresh sequences of its task
                  (rnnviz.training.experiments.fresh_batch), as `evaluate` measures it
    samples       a character model's names, drawn at temperature 1 from SAMPLE_SEED

Weights trained on another processor differ by round-off, so a file is checked by what it
does (`evaluate`), not by its bits.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnnviz.engine import activations
from rnnviz.training.experiments import EVAL_SEED, EVAL_SEQUENCES, Score, fresh_batch, score
from rnnviz.training.files import load_model, save_model
from rnnviz.training.settings import TrainConfig
from rnnviz.training.tasks import CharTask
from rnnviz.training.trainer import RECIPE, Trained, Trainer, trained_from

FOLDER = Path(__file__).parent / "data" / "networks"
MADE_BY = "python examples/make_ready_networks.py"
KERNEL = "tanh"     # fixed, so the same recipe trains the same way on any processor's NumPy
TAIL = 100          # training steps averaged for the recipe's training figures
SAMPLES, SAMPLE_SEED = 8, 0


@dataclass(frozen=True)
class ReadyNetwork:
    """A network bundled with the app.

    Attributes:
        key: its name in a lesson link (network=...) and its file's.
        title: how the menu names it.
        blurb: what it shows, in a sentence.
        config: the training settings of its recipe (the seed and steps among them).
    """

    key: str
    title: str
    blurb: str
    config: TrainConfig

    @property
    def path(self) -> Path:
        return FOLDER / f"{self.key}.npz"


_ONCE = {"stats_every": 0}   # no optimizer statistics: nothing reads them
NETWORKS = {network.key: network for network in (
    ReadyNetwork("names-lstm", "LSTM on the dinosaur names",
                 "Reads a name letter by letter and guesses the next; invents new names.",
                 TrainConfig(task="chars", cell="lstm", n_a=32, m=32, T_x=20, seed=1,
                             steps=1500, snapshot_every=1500, **_ONCE)),
    ReadyNetwork("names-gru", "GRU on the dinosaur names",
                 "The same task and batches as the LSTM, with a GRU.",
                 TrainConfig(task="chars", cell="gru", n_a=32, m=32, T_x=20, seed=1,
                             steps=1500, snapshot_every=1500, **_ONCE)),
    ReadyNetwork("copy-lstm", "LSTM recalling a symbol after 20 steps",
                 "The copy task at delay 20: it names the symbol shown 20 steps before.",
                 TrainConfig(task="copy", cell="lstm", n_a=32, m=32, T_x=21, seed=1,
                             steps=1500, snapshot_every=1500, forget_bias=3.0, **_ONCE)),
)}


@dataclass(frozen=True)
class Loaded:
    """A ready-trained network read back: the run it was (settings, weights, task, steps)
    and how it was made (its "recipe")."""

    network: ReadyNetwork
    trained: Trained
    recipe: dict


def load(key: str) -> Loaded:
    """The ready-trained network `key` (of NETWORKS) from its file.

    Raises:
        ValueError: `key` is not one of NETWORKS, or its file is missing or damaged.
    """
    if key not in NETWORKS:
        raise ValueError(f"{key!r} is not a ready-trained network; there are "
                         f"{', '.join(NETWORKS)}")
    network = NETWORKS[key]
    if not network.path.is_file():
        raise ValueError(f"the file of the ready-trained network {key!r} is missing; make it "
                         f"with `{MADE_BY}`")
    params, values = load_model(network.path)
    recipe = values.get(RECIPE)
    if not isinstance(recipe, dict):
        raise ValueError(f"the file of {key!r} does not say how it was made")
    return Loaded(network, trained_from(params, values), recipe)


def evaluate(trained: Trained, sequences: int = EVAL_SEQUENCES, seed: int = EVAL_SEED) -> Score:
    """The network's loss and accuracy on `sequences` fresh sequences of its task from `seed`,
    at its training length T_x."""
    return score(trained.params, trained.task,
                 fresh_batch(trained.task, trained.config.T_x, sequences, seed))


def make(network: ReadyNetwork) -> tuple[Trainer, dict]:
    """Train `network`'s recipe from its seed with KERNEL; the trainer and its recipe record.

    Raises:
        RuntimeError: the run diverged (the recipe must be changed).
    """
    with activations.use_kernel(KERNEL):
        trainer = Trainer(network.config)
        start = time.process_time()
        records = list(trainer)
        seconds = time.process_time() - start
        if trainer.diverged:
            raise RuntimeError(f"{network.key}: {trainer.diverged}")
        tail = records[-TAIL:]
        result = evaluate(Trained(network.config, trainer.params, trainer.task, trainer.t))
        recipe = {"made_by": MADE_BY, "kernel": KERNEL, "cpu_seconds": round(seconds, 1),
                  "training": {"loss": float(np.mean([r.loss for r in tail])),
                               "accuracy": _mean_accuracy(tail)},
                  "evaluation": {"sequences": EVAL_SEQUENCES, "seed": EVAL_SEED,
                                 "loss": result.loss, "accuracy": result.accuracy}}
        if isinstance(trainer.task, CharTask):
            rng = np.random.default_rng(SAMPLE_SEED)
            recipe["samples"] = [trainer.task.sample(trainer.params, rng)
                                 for _ in range(SAMPLES)]
    return trainer, recipe


def _mean_accuracy(records) -> float | None:
    values = [r.accuracy for r in records if r.accuracy is not None]
    return float(np.mean(values)) if values else None


def write(network: ReadyNetwork, trainer: Trainer, recipe: dict, folder: Path = FOLDER) -> Path:
    """Save a made network as its model file in `folder`; its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / network.path.name
    save_model(path, trainer.params, {**trainer.config.to_dict(), "trained_steps": trainer.t,
                                      RECIPE: recipe})
    return path
