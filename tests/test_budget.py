"""rnnviz.app.budget: what each of the app's processes may take of the machine. The server
keeps NumPy's BLAS to BLAS_THREADS threads once any page has run, a training worker has the
same budget from its environment before NumPy loads, and the workers' niceness is read from
RNNVIZ_TRAINING_NICE."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rnnviz.app import budget
from rnnviz.app.workers import Pool

ROOT = Path(__file__).resolve().parents[1]
BLAS_SIZES = """
from threadpoolctl import threadpool_info
print(*(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"))
"""


def blas_threads_after(code: str) -> list[int]:
    """The BLAS thread counts of a fresh interpreter (NumPy's default: one per core) after
    `code` has run in it."""
    done = subprocess.run([sys.executable, "-c", code + BLAS_SIZES], cwd=ROOT, text=True,
                          capture_output=True, timeout=300, check=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    return [int(n) for n in done.stdout.split()]


@pytest.fixture
def cores_for_blas(monkeypatch):
    """NumPy's BLAS left to its default in the fresh interpreters; the test means something
    only where that default is more than BLAS_THREADS."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    default = blas_threads_after("import numpy")
    if not default or max(default) <= budget.BLAS_THREADS:
        pytest.skip(f"NumPy's BLAS has {default or 'no'} thread(s) here anyway")


def test_limit_blas_threads_keeps_numpys_blas_to_its_budget(cores_for_blas):
    assert blas_threads_after(
        "from rnnviz.app.budget import limit_blas_threads\nlimit_blas_threads()\n"
    ) == [budget.BLAS_THREADS]


def test_the_server_keeps_numpys_blas_to_its_budget_once_a_page_has_run(cores_for_blas):
    assert blas_threads_after(
        "from streamlit.testing.v1 import AppTest\n"
        "page = AppTest.from_file('app.py', default_timeout=240)\n"
        "page.run()\n"
        "assert not page.exception, page.exception\n"
    ) == [budget.BLAS_THREADS]


def test_a_training_worker_has_the_blas_budget_in_its_environment_before_numpy_loads():
    pool = Pool(slots=1)
    pool.warm()
    [worker] = pool.idle_workers()
    try:
        environ = Path(f"/proc/{worker.process.pid}/environ").read_bytes().split(b"\0")
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            assert f"{name}={budget.BLAS_THREADS}".encode() in environ
    finally:
        pool.close()


@pytest.mark.parametrize("value, nice", [("", 10), ("0", 0), ("19", 19), ("7", 7),
                                         ("20", 10), ("-5", 10), ("high", 10)])
def test_the_training_niceness_is_read_from_the_environment(monkeypatch, value, nice):
    monkeypatch.setenv(budget.NICE_VARIABLE, value)
    assert budget._training_nice() == nice
