"""Server CPU of the Units on text page: a unit chosen (the text coloured anew), and the first
reading of a snapshot (the engine pass over the stretch), cache warm or cold.

Drives the real page script in-process with streamlit.testing.v1.AppTest, as in
bench_app.py, and reads the process's CPU time (time.process_time: every thread) around each
rerun, so the figures hold the whole script run (sidebar, widgets, the HTML) but not the
websocket. A run of the character task with its initial weights stands for a trained one:
the cost does not depend on the values. Prints median and 95th percentile, ms of CPU.

    python benchmarks/bench_unit_text.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rnnviz.app.contents import UNITS  # noqa: E402
from rnnviz.app.runs import Run  # noqa: E402
from rnnviz.engine import keep_freed_memory_for_reuse  # noqa: E402
from rnnviz.limits import SIZES, TEXT_VIEW_CHARS  # noqa: E402
from rnnviz.training.settings import TrainConfig  # noqa: E402
from rnnviz.training.trainer import Trainer  # noqa: E402
from rnnviz.ui import training  # noqa: E402
from rnnviz.ui.unit_text import KEY  # noqa: E402

SIZES_TRIED = {"LSTM n_a=32, 400 characters (the defaults)": (32, 400),
               f"LSTM n_a={SIZES['n_a']}, {TEXT_VIEW_CHARS} characters (the limits)":
                   (SIZES["n_a"], TEXT_VIEW_CHARS)}


def cpu_ms(rerun) -> float:
    start = time.process_time()
    rerun()
    return 1000 * (time.process_time() - start)


def measure(n_a: int, chars: int, repeats: int) -> dict[str, list[float]]:
    config = TrainConfig(cell="lstm", n_a=n_a, steps=1)
    trainer = Trainer(config)
    run = Run(id=1, label=config.label(), config=config, trainer=trainer,
              snapshots=dict(trainer.snapshots), status="stopped")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.switch_page(UNITS.script)
    at.run()
    at.session_state[training.RUNS_KEY] = [run]
    at.session_state[KEY + "chars"] = chars
    costs = {"first reading (engine pass, cache cold)": [cpu_ms(at.run)]}
    units = at.selectbox(key=KEY + "w_unit").options
    costs["a unit chosen"] = []
    for k in range(repeats + 2):
        menu = at.selectbox(key=KEY + "w_unit")
        spent = cpu_ms(menu.set_value(int(units[(k + 1) % len(units)].split()[1])).run)
        if k >= 2:   # the first two warm the caches of the measures
            costs["a unit chosen"].append(spent)
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    keep_freed_memory_for_reuse()
    for label, (n_a, chars) in SIZES_TRIED.items():
        for action, values in measure(n_a, chars, args.repeats).items():
            values = sorted(values)
            p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
            print(f"{label:55s} {action:42s} median {statistics.median(values):7.1f} ms"
                  f"  p95 {p95:7.1f} ms  (n={len(values)})")


if __name__ == "__main__":
    main()
