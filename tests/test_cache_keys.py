"""The pages' cached engine calls key a Config by its repr (rnnviz.ui.cache.data), not by
Streamlit's field-by-field hashing of a dataclass: equal configurations share an entry, any
field that differs makes a new one, and every cached function of a Config uses it."""

import ast
import dataclasses
from pathlib import Path

import pytest

from rnnviz.app.config import FIELDS, Config
from rnnviz.ui import cache

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def counted():
    calls = []

    @cache.data(max_entries=64)
    def computed(config: Config, example: int = 0) -> int:
        calls.append(config)
        return len(calls)

    yield computed, calls
    computed.clear()


def test_equal_configurations_share_one_entry(counted):
    computed, calls = counted
    first = Config(cell="gru", n_a=64, T_x=60, weight_scale=1.5)
    again = Config(**dataclasses.asdict(first))   # equal, another object
    assert first is not again and first == again
    assert computed(first) == computed(again) == 1
    assert len(calls) == 1
    assert computed(first, 1) == 2                 # the other arguments still count


def _changed(config: Config, name: str) -> Config:
    value = getattr(config, name)
    other = {str: {"cell": "rnn", "input": "gaussian", "data": "abc"}.get(name, "x"),
             int: 2 if value != 2 else 3, float: 0.5 if value != 0.5 else 0.25,
             type(None): 0.5}[type(value)]
    return dataclasses.replace(config, **{name: other})


@pytest.mark.parametrize("name", [f.name for f in FIELDS])
def test_a_configuration_that_differs_in_any_field_gets_its_own_entry(counted, name):
    computed, calls = counted
    base = Config()
    changed = _changed(base, name)
    assert getattr(changed, name) != getattr(base, name)
    assert computed(base) == 1 and computed(changed) == 2


def test_a_float_and_the_next_float_are_two_entries(counted):
    computed, _ = counted
    near = Config(weight_scale=1.0 + 2.0 ** -52)
    assert computed(Config(weight_scale=1.0)) == 1 and computed(near) == 2


def _cached_functions_of_a_config():
    """(file, function name, decorator source) of every cached function in rnnviz/ui with a
    parameter annotated Config."""
    for path in sorted((ROOT / "rnnviz" / "ui").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef):
                continue
            takes_config = any(arg.annotation is not None
                               and ast.unparse(arg.annotation) == "Config"
                               for arg in node.args.args)
            for decorator in node.decorator_list:
                called = decorator.func if isinstance(decorator, ast.Call) else decorator
                source = ast.unparse(called)
                if takes_config and "cache_data" in source or source in ("data", "cache.data"):
                    yield path.name, node.name, source


def test_every_cached_function_of_a_config_keys_it_by_its_repr():
    found = list(_cached_functions_of_a_config())
    assert len(found) >= 10   # the engine calls of cache, gradients, lab, memory and scrub
    assert [f for f in found if f[2] not in ("data", "cache.data")] == []
