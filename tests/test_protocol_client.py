"""The protocol clients of benchmarks/bench_load.py (benchmarks/streamlit_protocol.py): a tab
with no browser really moves t and really trains, on the real `streamlit run app.py`, and a
class of two such students runs through bench_load's lesson. No browser is used here
(tests/browser/test_protocol_client.py checks that what they send is what Chromium sends)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import bench_load  # noqa: E402
from streamlit_protocol import Tab, run_apart  # noqa: E402

from rnnviz.app.contents import STEP, TRAINING  # noqa: E402
from rnnviz.app.runs import STATUS_WORDS  # noqa: E402
from rnnviz.app.workers import SLOTS_VARIABLE  # noqa: E402
from rnnviz.training.settings import SETTING  # noqa: E402
from rnnviz.ui.player import BACK_KEY, FORWARD_KEY  # noqa: E402
from rnnviz.ui.train_form import WIDGET_PREFIX  # noqa: E402

TIMEOUT_S = 120.0   # bounds a hang on a busy machine; every wait returns on its condition


@pytest.fixture(scope="module")
def server_url():
    server = bench_load.Server(extra_env={SLOTS_VARIABLE: "1"})
    try:
        yield server.url
    finally:
        server.stop()


def _table_statuses(tab: Tab) -> list[str]:
    """The status column of the runs' table the server last sent to `tab`."""
    import pyarrow as pa

    table = next(tab.elements("dataframe")).element
    with pa.ipc.open_stream(io.BytesIO(table.arrow_data.data)) as reader:
        return reader.read_all().column("status").to_pylist()


def test_protocol_press_moves_t_in_the_chart_the_server_sends_back(server_url):
    async def lesson() -> list[tuple[int | None, str]]:
        tab = Tab(server_url, STEP.url_path, "n_a=4&T_x=5&seed=3")
        try:
            await tab.open(TIMEOUT_S)
            seen = [(bench_load.chart_t(tab), tab.query)]
            for key in (FORWARD_KEY, FORWARD_KEY, BACK_KEY):
                before = tab.finished()
                tab.press_counted(key)
                await tab.wait_runs(before + 1, TIMEOUT_S)
                seen.append((bench_load.chart_t(tab), tab.query))
            assert tab.errors == []
            return seen
        finally:
            await tab.close()

    seen = run_apart(lesson())
    assert [t for t, _ in seen] == [1, 2, 3, 2]
    assert "t=3" in seen[2][1] and "t=2" in seen[3][1]   # the URL the server writes follows


def test_protocol_train_trains_its_runs_to_the_end_polling_the_fragment(server_url):
    async def lesson() -> tuple[list[str], Tab]:
        tab = Tab(server_url, TRAINING.url_path)
        try:
            await tab.open(TIMEOUT_S)
            assert bench_load.train_state(tab) == "other"   # no run yet: no table
            tab.set_form_value(WIDGET_PREFIX + "steps", 300)
            tab.submit("Train")
            seen = []
            for wanted in (("queued", "training"), ("idle",)):
                await tab.wait_for(lambda w=wanted: bench_load.train_state(tab) in w,
                                   TIMEOUT_S, " or ".join(wanted))
                seen.append(bench_load.train_state(tab))
            assert tab.errors == []
            return seen, tab
        finally:
            await tab.close()

    seen, tab = run_apart(lesson())
    assert seen[0] in ("queued", "training") and seen[1] == "idle"
    polls = [m for _, m in tab.sent if m.rerun_script.fragment_id]
    assert polls and all(m.rerun_script.widget_states.widgets[-1].json_trigger_value
                         == '[{"event":"poll"}]' for m in polls)
    assert not tab.follow.data["on"]   # the page stopped polling once the runs had ended
    cells = SETTING["train_cell"].default
    assert _table_statuses(tab) == [STATUS_WORDS["finished"]] * len(cells)


def test_bench_load_runs_a_class_of_two_protocol_clients():
    args = bench_load.parse_args(["--clients", "protocol", "--browsers", "0", "--duration-s",
                                  "6", "--press-every-s", "1", "--train-every-s", "6",
                                  "--n-a", "4", "--T-x", "5"])
    result = bench_load.one_class(2, args)
    assert result["errors"] == []
    assert result["protocol_clients"] == 2 and result["browsers"] == 0
    students = result["students"]
    # a press about every second of the 6 s lesson, each timed to its script_finished
    assert all(3 <= len(s["step_ws_s"]) <= 9 for s in students)
    assert result["protocol_step_finished"]["count"] == sum(len(s["step_ws_s"]) for s in students)
    assert result["train_presses"] == 2   # one Train each, at a random second of the lesson
    assert result["server_cpu_per_s"] > 0 and result["peak_rss_mb"] > 50
    # every press is a script run, and so is every poll of a run training
    assert all(s["script_runs"] - s["training_runs"] == len(s["step_ws_s"]) for s in students)
    # a Train the page showed (queued, training or done) was a run of the page, at least
    shown = [s for s in students if any(t["state"] != "lost" for t in s["trains"])]
    assert all(s["training_runs"] >= 1 for s in shown)
    assert result["script_runs"] == sum(s["script_runs"] for s in students)
    assert result["server_main_cpu_ms_per_run"] > 0


def test_the_benchmarks_read_the_browser_fixtures_run_as_scripts_are():
    """load_browser loads tests/browser/conftest.py for its websocket parsing; a benchmark run
    as a script has none of pytest's pythonpath, so the conftest's own imports must resolve
    there too (they once did not: the Memory map's benchmark failed at its first frame)."""
    import os
    import subprocess

    code = ("import sys; sys.path[:0] = ['benchmarks', '.']; import load_browser; "
            "print(callable(load_browser._browser_fixtures().is_finished_run))")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", code], cwd=BENCHMARKS.parent, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("True")
