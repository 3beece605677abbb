"""Write samples/moons.csv: 100 points of the two-moons data, noise 0.1, labels -1 and 1.

The same arithmetic as scikit-learn's ``make_moons(n_samples=100, noise=0.1)`` (half the
points on the upper half circle, half on the lower one shifted by (1, -0.5), shuffled,
then Gaussian noise), drawn from ``numpy.random.RandomState(1337)`` as micrograd's
``demo.ipynb`` seeds it, with NumPy alone; the labels become -1 and 1 (``y*2 - 1``) as
the demo does for its max-margin loss.

Run: python samples/make_moons.py [OUT.csv]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: int = 1337
               ) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    outer = np.linspace(0, np.pi, n_out)
    inner = np.linspace(0, np.pi, n_in)
    x = np.vstack([np.append(np.cos(outer), 1 - np.cos(inner)),
                   np.append(np.sin(outer), 1 - np.sin(inner) - 0.5)]).T
    y = np.hstack([np.zeros(n_out, dtype=np.intp), np.ones(n_in, dtype=np.intp)])
    order = np.arange(n_samples)  # sklearn.utils.shuffle, as make_moons calls it
    rng.shuffle(order)
    x, y = x[order], y[order]
    x += rng.normal(scale=noise, size=x.shape)
    return x, y


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("moons.csv")
    x, y = make_moons()
    lines = ["x0,x1,y"] + [f"{a!r},{b!r},{2 * int(label) - 1}"
                           for (a, b), label in zip(x.tolist(), y.tolist())]
    out.write_text("\n".join(lines) + "\n", encoding="ascii")


if __name__ == "__main__":
    main()
