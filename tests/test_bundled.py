"""The ready-trained networks bundled with the app: each file loads, carries the recipe that
made it, and does now what its recipe says it did (evaluated again here); the names models
write name-like names; the script's parts write a file that loads back."""

from __future__ import annotations

import re

import numpy as np
import pytest

from rnnviz.training import bundled
from rnnviz.training.bundled import NETWORKS, ReadyNetwork, evaluate, load
from rnnviz.training.files import load_model
from rnnviz.training.settings import TrainConfig
from rnnviz.training.trainer import load_trained

MAX_BYTES = 300_000
LOSS_TOLERANCE = 1e-6    # the same weights and sequences on another processor: round-off
ACCURACY_TOLERANCE = 0.002  # two of 1,000 sequences turned by round-off at most


@pytest.fixture(scope="module", params=list(NETWORKS))
def network(request):
    return load(request.param)


def test_each_file_is_small_and_an_ordinary_model_file():
    for network in NETWORKS.values():
        assert network.path.stat().st_size < MAX_BYTES, network.key
        assert load_trained(network.path).config == network.config   # as an upload reads it


def test_each_file_carries_its_recipe(network):
    config, params, task, steps = network.trained
    assert config == network.network.config and steps == config.steps
    assert params.cell == config.cell and params.sizes["n_a"] == config.n_a
    recipe = network.recipe
    assert recipe["made_by"] == bundled.MADE_BY and recipe["kernel"] == bundled.KERNEL
    assert recipe["cpu_seconds"] > 0
    assert recipe["evaluation"]["sequences"] == 1000 and recipe["evaluation"]["seed"] == 12345
    assert np.isfinite(recipe["training"]["loss"])


def test_each_network_reaches_now_what_its_recipe_says(network):
    stated = network.recipe["evaluation"]
    now = evaluate(network.trained, stated["sequences"], stated["seed"])
    assert now.loss == pytest.approx(stated["loss"], rel=LOSS_TOLERANCE)
    assert now.accuracy == pytest.approx(stated["accuracy"], abs=ACCURACY_TOLERANCE)
    task = network.trained.task
    assert now.accuracy > 4 * task.chance   # far above guessing
    assert now.loss < 0.65 * task.guess_loss


def test_the_copy_lstm_recalls_the_symbol_after_20_steps():
    loaded = load("copy-lstm")
    assert loaded.trained.config.T_x - 1 == 20
    assert evaluate(loaded.trained).accuracy >= 0.9


@pytest.mark.parametrize("key", ["names-lstm", "names-gru"])
def test_the_names_models_write_name_like_names(key):
    trained = load(key).trained
    rng = np.random.default_rng(7)
    names = [trained.task.sample(trained.params, rng) for _ in range(40)]
    finished = [n for n in names if 3 <= len(n) <= 25]
    assert len(finished) >= 34, names    # they end, neither at once nor never
    assert all(re.fullmatch(r"[a-z]+", n) for n in finished), names
    # dinosaur-like: most end as the corpus's names mostly do
    endings = ("saurus", "rus", "us", "don", "ops", "ia", "ix", "x", "a", "n", "s", "r")
    assert sum(n.endswith(endings) for n in finished) >= 0.6 * len(finished), names


def test_loading_refuses_an_unknown_network_and_names_a_missing_file(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match="not a ready-trained network; there are names-lstm"):
        load("<script>")
    monkeypatch.setattr(bundled, "FOLDER", tmp_path)
    with pytest.raises(ValueError, match="is missing; make it with `python examples/make"):
        load("copy-lstm")


def test_a_made_network_is_written_with_its_recipe_and_loads_back(tmp_path):
    tiny = ReadyNetwork("tiny", "a tiny one", "for this test",
                        TrainConfig(task="chars", cell="gru", n_a=3, m=4, T_x=6, seed=2,
                                    steps=30, snapshot_every=30, stats_every=0))
    trainer, recipe = bundled.make(tiny)
    path = bundled.write(tiny, trainer, recipe, tmp_path)
    params, values = load_model(path)
    assert values["recipe"] == recipe and values["trained_steps"] == 30
    assert len(recipe["samples"]) == bundled.SAMPLES
    trained = load_trained(path)
    np.testing.assert_array_equal(trained.params.Wr, trainer.params.Wr)
    assert evaluate(trained).loss == pytest.approx(recipe["evaluation"]["loss"], rel=1e-12)
