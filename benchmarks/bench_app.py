"""Server time of a timestep change on the step-through and gates pages, cache warm.

Drives the real page scripts in-process with streamlit.testing.v1.AppTest: open the page
once (which fills the cache), move the timestep slider a few times to warm up, then time
each further move. An AppTest rerun executes the whole page script (sidebar included); in
the browser only the timestep fragment reruns, so these figures are an upper bound on the
server's work per step. Prints median and 95th percentile per page and configuration.

    python benchmarks/bench_app.py [--repeats 15]
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

from rnnviz.app.config import Config  # noqa: E402
from rnnviz.app.contents import GATES, STEP, Page  # noqa: E402
from rnnviz.engine import CELLS, keep_freed_memory_for_reuse  # noqa: E402
from rnnviz.limits import SIZES  # noqa: E402
from rnnviz.ui import state  # noqa: E402

_DEFAULT, _AT_LIMITS = Config(), ", ".join(f"{k}={v}" for k, v in SIZES.items())
CONFIGS = {
    f"default ({CELLS[_DEFAULT.cell].label} n_a={_DEFAULT.n_a}, m={_DEFAULT.m}, "
    f"T_x={_DEFAULT.T_x})": _DEFAULT,
    **{f"limits ({cell.label} {_AT_LIMITS})": Config(cell=name, input="gaussian", **SIZES)
       for name, cell in reversed(CELLS.items())},
}


def time_steps(page: Page, config: Config, repeats: int) -> tuple[float, list[float]]:
    """(seconds of the first, cold run; seconds of each timed slider move)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    for key, value in config.to_query().items():
        at.query_params[key] = value
    at.switch_page(page.script)
    start = time.perf_counter()
    at.run()
    cold = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    times = []
    for k in range(repeats + 2):
        t = 1 + (k * 7) % config.T_x
        slider = at.slider(key=state.widget_key("t", page))
        start = time.perf_counter()
        slider.set_value(t).run()
        if k >= 2:  # the first two moves warm the per-step caches and Plotly
            times.append(time.perf_counter() - start)
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    return cold, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    keep_freed_memory_for_reuse()  # as every page of the app does
    print(f"{'configuration':58s} {'page':22s} {'cold run':>9s} {'median':>9s} {'p95':>9s}")
    for label, config in CONFIGS.items():
        for page in (STEP, GATES):
            if page is GATES and not CELLS[config.cell].gates:
                continue
            cold, times = time_steps(page, config, args.repeats)
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            print(f"{label:58s} {page.title:22s} {cold * 1e3:7.0f}ms "
                  f"{statistics.median(times) * 1e3:7.0f}ms {p95 * 1e3:7.0f}ms")


if __name__ == "__main__":
    main()
