"""Write the example CSVs of "your sequences" (examples/data/) from a fixed seed.

    waves.csv   one sequence per row: 30 samples of a sine, a square or a sawtooth wave of
                a random period and phase, with noise; the column "label" names the shape
                (sequence classification)
    weather.csv one long series of 2 years of daily readings: temperature (°C) and hours of
                sunshine, a column each (next-value prediction on 2 channels)

Run from the repository's root: ``python examples/make_sequences.py``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

SEED = 14
HERE = Path(__file__).resolve().parent / "data"
SHAPES = ("sine", "square", "sawtooth")
WAVES, STEPS, DAYS = 240, 30, 730


def waves(rng: np.random.Generator) -> list[list[str]]:
    rows = [[f"t{t + 1}" for t in range(STEPS)] + ["label"]]
    for k in range(WAVES):
        shape = SHAPES[k % len(SHAPES)]
        period = rng.uniform(8, 16)
        phase = rng.uniform(0, 1)
        cycle = (np.arange(STEPS) / period + phase) % 1.0   # where in its cycle each step is
        wave = {"sine": np.sin(2 * np.pi * cycle), "square": np.where(cycle < 0.5, 1.0, -1.0),
                "sawtooth": 2 * cycle - 1}[shape]
        noisy = wave + 0.15 * rng.standard_normal(STEPS)
        rows.append([f"{v:.2f}" for v in noisy] + [shape])
    return rows


def weather(rng: np.random.Generator) -> list[list[str]]:
    day = np.arange(DAYS)
    season = np.cos(2 * np.pi * (day - 200) / 365)   # warmest around late July
    cloud = np.zeros(DAYS)   # weather that lasts a few days: an AR(1) process
    for t in range(1, DAYS):
        cloud[t] = 0.8 * cloud[t - 1] + 0.6 * rng.standard_normal()
    temperature = 11 + 8 * season - 1.5 * cloud + 1.0 * rng.standard_normal(DAYS)
    sunshine = np.clip(4.5 + 3 * season - 1.8 * cloud, 0, 15)
    return [["temperature", "sunshine"]] + [[f"{a:.1f}", f"{b:.1f}"]
                                            for a, b in zip(temperature, sunshine, strict=True)]


def main() -> None:
    rng = np.random.default_rng(SEED)
    HERE.mkdir(exist_ok=True)
    for name, rows in (("waves.csv", waves(rng)), ("weather.csv", weather(rng))):
        with open(HERE / name, "w", newline="", encoding="utf-8") as file:
            csv.writer(file, lineterminator="\n").writerows(rows)


if __name__ == "__main__":
    main()
