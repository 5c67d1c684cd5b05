"""Make the ready-trained networks the app bundles (rnnviz.training.bundled), from their seeds.

Run:  python examples/make_ready_networks.py [names-lstm names-gru copy-lstm] [--folder DIR]

Trains each recipe (its settings, seed and steps are in rnnviz.training.bundled.NETWORKS) on
one thread with the "tanh" kernel, and writes its model file (default: into the package,
rnnviz/training/data/networks/) with how it was made and what it reached: the CPU time, the
mean training loss and accuracy over the last steps, and the loss and accuracy on fresh
sequences. Prints each network's figures and file size, and the total CPU time.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"   # rnnviz's matrices are small: more BLAS threads only contend

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rnnviz.training.bundled import FOLDER, NETWORKS, make, write  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("networks", nargs="*", help=f"any of {', '.join(NETWORKS)} (default: all)")
    parser.add_argument("--folder", type=Path, default=FOLDER)
    args = parser.parse_args()
    unknown = [key for key in args.networks if key not in NETWORKS]
    if unknown:
        parser.error(f"unknown networks: {', '.join(unknown)}; choose from {', '.join(NETWORKS)}")
    start = time.process_time()
    for key in args.networks or NETWORKS:
        network = NETWORKS[key]
        trainer, recipe = make(network)
        path = write(network, trainer, recipe, args.folder)
        evaluation = recipe["evaluation"]
        accuracy = evaluation["accuracy"]
        print(f"{key}: {trainer.t:,} steps in {recipe['cpu_seconds']:.1f} s of CPU; on "
              f"{evaluation['sequences']:,} fresh sequences loss {evaluation['loss']:.4f}, "
              f"accuracy {accuracy:.4f}; {path.stat().st_size / 1000:.0f} kB at {path}")
        for name in recipe.get("samples", []):
            print(f"    {name}")
    print(f"total: {time.process_time() - start:.1f} s of CPU")


if __name__ == "__main__":
    main()
