"""Does the server's memory stay bounded when a class works at the configured limits?

Run:  python benchmarks/bench_memory.py [--rounds 5] [--sessions 3] [--json out.json]
                                        [--server-arg=--server.maxCacheDataSize=1gb]
      python benchmarks/bench_memory.py --per-computation

--per-computation runs no server: in this process, for each cell at the limits, it prints
the peak working memory (tracemalloc: every NumPy buffer) of each computation a page makes
(the forward pass, BPTT, the Gradient flow page's step-Jacobian norms, the norm of their
product and the per-step gradients at rnnviz.ui.gradients.PER_STEP_POINTS steps), what its
result keeps, and the size of the trace and of the Backprop as the page's cache stores them
(pickled: st.cache_data keeps each entry so).

One `streamlit run app.py` (headless, 127.0.0.1, a free port) and one headless Chromium.
Each round opens --sessions new browser sessions at the limits, each with a seed never
used before (so every cache gets new entries): LSTM n_x=64, n_a=256, n_y=64, m=64, T_x=200,
Gaussian input. Each visits the step-through page (and presses ▶ twice), the gates page
and the gradient-flow page (the RNN and the LSTM of that configuration), then closes.
A training session that lives through every round trains --runs-per-round LSTM runs
(n_a=256, m=8, T_x=20, --train-steps steps) per round, so its kept runs pass the
session's cap (rnnviz.ui.training.MAX_RUNS) by the third round.

The server's RSS (VmRSS of the server and its children, /proc) is sampled every 0.25 s.
It prints each round's peak and the RSS at its end, the overall peak and the plateau
(the end-of-round RSS over the last rounds). Bounded caches show as a plateau after the
first rounds; a leak as a rise that goes on round after round.

Bounded: a fixed number of rounds and sessions, a timeout on every wait, a time cap on
every round; the script stops the browser and the server it started.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import pickle
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_load import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    SIDEBAR,
    STEP,
    TITLE_T_JS,
    TRAINING,
    RssSampler,
    RunCounter,
    Server,
    fill_training_form,
    form_values,
    wait_training_done,
)

from rnnviz.engine import CELLS, analysis, init_params  # noqa: E402
from rnnviz.engine.losses import Loss  # noqa: E402
from rnnviz.engine.model import backward, forward  # noqa: E402
from rnnviz.limits import SIZES  # noqa: E402
from rnnviz.ui.gradients import PER_STEP_POINTS  # noqa: E402
from rnnviz.ui.player import FORWARD_KEY  # noqa: E402

LIMITS_QUERY = "cell=lstm&input=gaussian&" + "&".join(f"{k}={v}" for k, v in SIZES.items())
PAGE_TIMEOUT_MS = 300_000
ROUND_CAP_S = 900.0
MB = 1e6


async def _wait_run(page, counter: RunCounter, before: int) -> None:
    await counter.wait_for(before + 1, PAGE_TIMEOUT_MS)


async def _errors(page) -> int:
    return await page.locator('[data-testid="stException"]').count()


async def limits_session(browser, url: str, seed: int, log: list[str]) -> None:
    """One student at the limits: step-through (▶ twice), gates, gradient flow."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = await context.new_page()
    counter = RunCounter(page)
    try:
        await page.goto(f"{url}/{STEP.url_path}?{LIMITS_QUERY}&seed={seed}",
                        timeout=PAGE_TIMEOUT_MS)
        await counter.wait_for(1, PAGE_TIMEOUT_MS)
        forward = page.locator(f".st-key-{FORWARD_KEY}").get_by_role("button")
        for t in (2, 3):
            before = counter.finished
            await forward.click()
            await page.wait_for_function(TITLE_T_JS, arg=t, timeout=PAGE_TIMEOUT_MS)
            await _wait_run(page, counter, before)
        for link in ("Gates and cell state", "Gradient flow"):
            before = counter.finished
            await page.locator(SIDEBAR).get_by_role("link", name=link).click()
            await _wait_run(page, counter, before)
            if n := await _errors(page):
                log.append(f"seed {seed}: {n} exception element(s) on {link}")
    except Exception as why:  # noqa: BLE001 - reported, not raised: the run goes on
        log.append(f"seed {seed}: {type(why).__name__}: {str(why).splitlines()[0][:200]}")
    finally:
        with contextlib.suppress(Exception):
            await context.close()


class Trainer:
    """The session that trains a few runs every round (and keeps them, up to the cap)."""

    def __init__(self, browser, url: str, args) -> None:
        self.browser, self.url, self.args = browser, url, args
        self.page = self.counter = self.context = None

    async def open(self) -> None:
        self.context = await self.browser.new_context(viewport={"width": 1280, "height": 800})
        self.context.set_default_timeout(PAGE_TIMEOUT_MS)
        self.page = await self.context.new_page()
        self.counter = RunCounter(self.page)
        # the LSTM alone: the cells to train are toggle buttons, set here by the address
        await self.page.goto(f"{self.url}/{TRAINING.url_path}?train_cell=lstm",
                             timeout=PAGE_TIMEOUT_MS)
        await self.counter.wait_for(1, PAGE_TIMEOUT_MS)

    async def train(self, runs: int, log: list[str]) -> None:
        page = self.page
        try:
            for _ in range(runs):
                await fill_training_form(page, form_values(n_a=SIZES["n_a"], m=8, T_x=20,
                                                           steps=self.args.train_steps),
                                         PAGE_TIMEOUT_MS)
                before = self.counter.finished
                await page.get_by_role("button", name="Train", exact=True).click()
                # the rerun Train asks for, then the run trained in its worker
                await self.counter.wait_for(before + 1, PAGE_TIMEOUT_MS)
                await wait_training_done(page, PAGE_TIMEOUT_MS)
                await page.wait_for_function(
                    "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                    timeout=PAGE_TIMEOUT_MS)
            if n := await _errors(page):
                log.append(f"training: {n} exception element(s)")
        except Exception as why:  # noqa: BLE001
            log.append(f"training: {type(why).__name__}: {str(why).splitlines()[0][:200]}")

    async def close(self) -> None:
        if self.context is not None:
            with contextlib.suppress(Exception):
                await self.context.close()


async def measure(args) -> dict:
    from playwright.async_api import async_playwright

    env = dict(item.split("=", 1) for item in args.server_env)
    server = Server(extra_args=args.server_arg, extra_env=env, app_root=args.app_root)
    sampler = RssSampler(server.proc.pid, every_s=0.25)
    rounds, log, seed = [], [], 100
    started = time.monotonic()
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                               args=CHROMIUM_ARGS)
            trainer = Trainer(browser, server.url, args)
            try:
                await trainer.open()
                for r in range(1, args.rounds + 1):
                    t0 = time.monotonic() - started
                    seeds = list(range(seed, seed + args.sessions))
                    seed += args.sessions
                    work = [limits_session(browser, server.url, s, log) for s in seeds]
                    work.append(trainer.train(args.runs_per_round, log))
                    await asyncio.wait_for(asyncio.gather(*work), ROUND_CAP_S)
                    await asyncio.sleep(2.0)  # let the last replies settle before the reading
                    t1 = time.monotonic() - started
                    during = [b for t, b in sampler.samples if t0 <= t <= t1]
                    rounds.append({"round": r, "seeds": seeds, "start_s": t0, "end_s": t1,
                                   "peak_mb": max(during, default=0) / MB,
                                   "end_mb": sampler.samples[-1][1] / MB})
                    print(f"round {r}: {t1 - t0:5.0f} s, peak {rounds[-1]['peak_mb']:6.0f} MB, "
                          f"at its end {rounds[-1]['end_mb']:6.0f} MB", flush=True)
            finally:
                await trainer.close()
                await browser.close()
    finally:
        samples = sampler.stop()
        server.stop()
    ends = [r["end_mb"] for r in rounds]
    tail = ends[len(ends) // 2:] if len(ends) > 1 else ends
    return {"app_root": str(args.app_root), "server_args": args.server_arg,
            "server_env": args.server_env, "rounds": rounds,
            "errors": log,
            "peak_mb": max((b for _, b in samples), default=0) / MB,
            "plateau_mb": statistics.median(tail) if tail else None,
            "last_round_growth_mb": ends[-1] - ends[-2] if len(ends) > 1 else None,
            "samples": [(round(t, 2), round(b / MB, 1)) for t, b in samples]}


def traced(fn, *args, **kwargs):
    """(fn(*args, **kwargs), peak MB allocated while it ran, MB its result still holds)."""
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    result = fn(*args, **kwargs)
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, (peak - start) / MB, (held - start) / MB


def cell_computations(name: str) -> list[tuple[str, float, float, float | None]]:
    """(computation, peak MB, MB kept, MB pickled or None) of each computation of one cell
    at the limits."""
    n_x, n_y, n_a, m, T_x = (SIZES[k] for k in ("n_x", "n_y", "n_a", "m", "T_x"))
    loss = Loss("cross_entropy", "all")
    steps = np.unique(np.linspace(1, T_x, min(T_x, PER_STEP_POINTS)).round().astype(int))
    rng = np.random.default_rng(0)
    params = init_params(name, n_x, n_a, n_y, rng)
    x = rng.standard_normal((n_x, m, T_x))
    targets = rng.integers(0, n_y, size=(m, T_x))
    trace, peak, kept = traced(forward, params, x)
    rows = [("forward (the trace)", peak, kept, len(pickle.dumps(trace)) / MB)]
    back, peak, kept = traced(backward, params, trace, targets, loss)
    rows.append(("backward (BPTT)", peak, kept, len(pickle.dumps(back)) / MB))
    del back
    for label, fn, args in (
            ("step-Jacobian norms, one example", analysis.jacobian_norms, (params, trace, 0)),
            ("norm of their product", analysis.log10_product_norms, (params, trace, 0)),
            (f"per-step gradients, {steps.size} steps", analysis.per_step_gradients,
             (params, x, targets, loss, None, None, steps))):
        _, peak, kept = traced(fn, *args)
        rows.append((label, peak, kept, None))
    return rows


def per_computation() -> None:
    """Peak working memory of each engine computation a page makes, at the limits."""
    print("at the limits: " + ", ".join(f"{k} = {v}" for k, v in SIZES.items())
          + "; tracemalloc, MB; cached: pickled, as st.cache_data keeps it")
    print(f"{'cell':<6}{'computation':<34}{'peak':>8}{'kept':>8}{'cached':>9}")
    for name in CELLS:
        for label, peak, kept, cached in cell_computations(name):
            shown = f"{cached:9.0f}" if cached is not None else f"{'-':>9}"
            print(f"{name:<6}{label:<34}{peak:8.0f}{kept:8.0f}{shown}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sessions", type=int, default=3,
                        help="new sessions at the limits per round (each a new seed)")
    parser.add_argument("--runs-per-round", type=int, default=3)
    parser.add_argument("--train-steps", type=int, default=30)
    parser.add_argument("--server-arg", action="append", default=[],
                        help="passed to `streamlit run`, e.g. "
                             "--server-arg=--server.maxCacheDataSize=1gb")
    parser.add_argument("--server-env", action="append", default=[],
                        help="NAME=value in the server's environment, e.g. "
                             "--server-env MALLOC_ARENA_MAX=2")
    parser.add_argument("--app-root", type=Path, default=ROOT,
                        help="the folder holding app.py (e.g. an export of an older commit)")
    parser.add_argument("--json", type=Path, help="write the results (and every sample) here")
    parser.add_argument("--per-computation", action="store_true",
                        help="no server: the peak memory of each engine computation at the "
                             "limits, in this process")
    args = parser.parse_args()
    if args.per_computation:
        per_computation()
        return
    result = asyncio.run(measure(args))
    growth = result["last_round_growth_mb"]
    print(f"\nserver RSS: peak {result['peak_mb']:.0f} MB; plateau (median of the end-of-round "
          f"RSS over the last half of the rounds) {result['plateau_mb']:.0f} MB; growth over "
          "the last round " + ("(one round only)" if growth is None else f"{growth:+.0f} MB"))
    print("end of each round (MB): " + ", ".join(f"{r['end_mb']:.0f}" for r in result["rounds"]))
    for line in result["errors"]:
        print(f"  error: {line}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
