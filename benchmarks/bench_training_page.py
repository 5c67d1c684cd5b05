"""Training through the page against the engine alone, and what a training run costs the
pages around it.

Run:  python benchmarks/bench_training_page.py [--repeats R]

Started like the app (no thread variables set: the app sets its own BLAS budget, see
rnnviz.app.workers). For each case it prints:

- engine: seconds for the run's steps as plain `Trainer.step` calls, the runs stepped in
  turn, in this process (the app's BLAS budget applied);
- page: seconds from pressing Train on the real page script (streamlit AppTest, in this
  process) to the worker's last step reaching the server (the runs train in a worker
  process, rnnviz.app.workers), the page rerun every POLL_S meanwhile as its polling
  fragment does (AppTest reruns the whole page, the fragment only its part: this costs
  more than the browser's polling); and "shown", to the poll that shows them finished.
  Train is pressed once the worker that the page had warmed up when it opened is ready, as
  a student's does (setting the form takes longer than the warm-up, printed at the end);
- ratio: page / engine (target: at most 1.3), and shown / engine, the medians over the
  repeats, engine and page interleaved so load from other processes affects both alike;
- steps/s as the page's table reports them.

Then the interactive cost: the median time of a Gates and cell state page rerun (a new seed
each time, so nothing comes from the cache) with no run training, and while a worker trains.
Last, the cost of one redraw of the three live charts at 20,000 steps (what a poll costs),
a run's fixed cost (a one-step run of both cells, from handing it to the server's pool to
its end, against the step alone), the seconds a new worker takes to warm up, and the load
average before and after.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np
import plotly.io as pio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from rnnviz.app import runs as run_records  # noqa: E402
from rnnviz.app.budget import limit_blas_threads  # noqa: E402
from rnnviz.app.runs import Run  # noqa: E402
from rnnviz.app.workers import POOL, Worker  # noqa: E402
from rnnviz.figures import training as figures  # noqa: E402
from rnnviz.training.settings import FORM, SETTING, train_configs  # noqa: E402
from rnnviz.training.trainer import Trainer  # noqa: E402
from rnnviz.ui import training as tr  # noqa: E402
from rnnviz.ui.train_form import WIDGET_PREFIX  # noqa: E402
from rnnviz.ui.train_live import POLL_S  # noqa: E402

MAX_RATIO = 1.3
_SEEDS = iter(range(1000, 10**6))   # a new seed for every rerun timed: nothing cached
CASES = {   # name: settings of the form that differ from its defaults
    "README lesson 5: copy, both cells, 1,500 steps": {"task": "copy", "steps": 1500},
    "chars, both cells, 300 steps": {"steps": 300},
}


def engine_seconds(settings: dict) -> float:
    """Seconds to train the runs these settings start, stepped in turn, here."""
    values = {**_defaults(), **settings}
    trainers = [Trainer(config) for config in train_configs(values)]
    start = time.perf_counter()
    while not all(t.done for t in trainers):
        for trainer in trainers:
            if not trainer.done:
                trainer.step()
    return time.perf_counter() - start


def _defaults() -> dict:
    return {name: SETTING[name].default for name in FORM}


def open_training() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.switch_page("pages/4_Training.py")
    return at.run()


def page_seconds(settings: dict) -> tuple[float, float, list[float]]:
    """Seconds from Train to the worker's last step reaching the server (its job ended),
    and to the page showing the runs finished; their steps/s."""
    at = open_training()
    for name, value in settings.items():
        element = at.selectbox if name == "task" else at.number_input
        element(key=WIDGET_PREFIX + name).set_value(value)
    for worker in POOL.idle_workers():
        worker.wait_warm()
    next(b for b in at.button if b.label == "Train").click()
    start = time.perf_counter()
    at.run()
    job = at.session_state[tr.RUNS_KEY][-1].job
    ended: list[float] = []
    watch = threading.Thread(target=_time_the_end, args=(job, ended))
    watch.start()
    while any(r.training for r in at.session_state[tr.RUNS_KEY]):
        time.sleep(POLL_S)
        at.run()
    shown = time.perf_counter() - start
    watch.join()
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    runs = at.session_state[tr.RUNS_KEY]
    if any(r.status != "finished" for r in runs):
        raise RuntimeError("the page did not train every step")
    return ended[0] - start, shown, [r.speed() for r in runs]


def _time_the_end(job, ended: list[float]) -> None:
    while job.state != "ended":
        time.sleep(0.005)
    ended.append(time.perf_counter())


def page_rerun_seconds(repeats: int = 8) -> float:
    """Median seconds of a Gates and cell state rerun on a new seed."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.switch_page("pages/2_Gates_and_cell_state.py")
    at.run()
    times = []
    for _ in range(repeats):
        at.query_params["seed"] = str(next(_SEEDS))
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interactive_cost() -> tuple[float, float]:
    """(page rerun seconds idle, page rerun seconds while a worker trains)."""
    idle = page_rerun_seconds()
    at = open_training()
    at.number_input(key=WIDGET_PREFIX + "steps").set_value(20_000)
    next(b for b in at.button if b.label == "Train").click()
    at.run()
    while not any(r.status == "running" for r in at.session_state[tr.RUNS_KEY]):
        time.sleep(0.05)
        at.run()
    busy = page_rerun_seconds()
    at.button(key="rnnviz_tr_stop").click().run()
    while any(r.training for r in at.session_state[tr.RUNS_KEY]):
        time.sleep(0.05)
        at.run()
    return idle, busy


def redraw_at_limit(steps: int = 20_000, runs: int = 2) -> float:
    """Seconds for one redraw of the three live charts when every run has `steps` steps."""
    rng = np.random.default_rng(0)
    curves = [figures.Curve(f"run {k}", figures.RUN_PALETTE[k], np.arange(1, steps + 1),
                            rng.random(steps), rng.random(steps) > 0.9) for k in range(runs)]
    charts = [figures.run_curves(curves, title, "y", log_y=True, threshold=0.5)
              for title in ("loss", "accuracy", "gradient norm")]
    start = time.perf_counter()
    repeats = 20
    for _ in range(repeats):
        for fig in charts:
            figures.refresh_run_curves(fig, curves)
            pio.to_json(fig, validate=False)
    return (time.perf_counter() - start) / repeats


def fixed_cost_seconds(repeats: int = 7) -> tuple[float, float]:
    """Median seconds of a one-step run of both cells handed to the server's pool, to its
    job's end; and of the same step here."""
    values = {**_defaults(), "steps": 1}
    through_pool, here = [], []
    POOL.warm()
    for worker in POOL.idle_workers():
        worker.wait_warm()
    for _ in range(repeats):
        runs = [Run(id=k, label="", config=config, trainer=Trainer(config))
                for k, config in enumerate(train_configs(values))]
        start = time.perf_counter()
        job = run_records.start(runs, POOL)
        while job.state != "ended":
            time.sleep(0.001)
        through_pool.append(time.perf_counter() - start)
        here.append(engine_seconds({"steps": 1}))
    return statistics.median(through_pool), statistics.median(here)


def warm_up_seconds(repeats: int = 3) -> float:
    """Median seconds from starting a worker to its word that it is ready."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        worker = Worker()
        worker.wait_warm()
        times.append(time.perf_counter() - start)
        worker.close()
    return statistics.median(times)


def load_average() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    limit_blas_threads()   # as the app's pages do

    print(f"repeats: {args.repeats}, page polled every {POLL_S} s, "
          f"load average {load_average()} on {os.cpu_count()} cores")
    print("seconds: engine; page (Train to the job's end); shown (to the page showing it); "
          "ratios of the page and of shown to the engine; steps/s of each run")
    print(f"{'case':<50}{'engine':>9}{'page':>9}{'shown':>8}{'ratio':>8}{'shown':>8}"
          f"{'steps/s':>12}")
    verdicts = []
    for name, settings in CASES.items():
        engines, pages, shown, speeds = [], [], [], []
        for _ in range(args.repeats):
            engines.append(engine_seconds(settings))
            trained, seen, rates = page_seconds(settings)
            pages.append(trained)
            shown.append(seen)
            speeds.append(rates)
        ratio = statistics.median(p / e for p, e in zip(pages, engines, strict=True))
        ratio_shown = statistics.median(p / e for p, e in zip(shown, engines, strict=True))
        verdicts.append(ratio <= MAX_RATIO)
        rates = " / ".join(f"{statistics.median(s[k] for s in speeds):.0f}"
                           for k in range(len(speeds[0])))
        print(f"{name:<50}{statistics.median(engines):>9.1f}{statistics.median(pages):>9.1f}"
              f"{statistics.median(shown):>8.1f}{ratio:>8.2f}{ratio_shown:>8.2f}{rates:>12}")
    idle, busy = interactive_cost()
    print(f"Gates and cell state rerun: {idle * 1000:.0f} ms with no run training, "
          f"{busy * 1000:.0f} ms while a worker trains")
    print(f"one redraw (3 charts, 2 runs of 20,000 steps, refreshed in place + serialised): "
          f"{redraw_at_limit() * 1000:.1f} ms")
    pool_s, here_s = fixed_cost_seconds()
    print(f"a run's fixed cost: one step of both cells takes {pool_s * 1000:.0f} ms from the "
          f"pool to its job's end, {here_s * 1000:.0f} ms here")
    print(f"a new worker warms up in {warm_up_seconds():.2f} s (the page starts one when it "
          "opens, and the pool keeps it between runs)")
    print(f"load average at the end: {load_average()}")
    print(f"target: page/engine <= {MAX_RATIO}: " + ("met" if all(verdicts) else "NOT met"))


if __name__ == "__main__":
    main()
