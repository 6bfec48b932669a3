"""The code under test: a linear model trained by minibatch SGD, in numpy.

The benchmark beside it imports this module, as a benchmark imports your
package; change `LEARNING_RATE` and rerun pybench to see a FAIL.
"""

import numpy as np

LEARNING_RATE = 0.05
CHECKPOINTS = (50, 150, 300)


def make_data(rng, rows=512, features=8):
    """A regression problem drawn for one seed: y = x·w + noise."""
    weights = rng.normal(size=features)
    x = rng.normal(size=(rows, features))
    y = x @ weights + rng.normal(scale=0.5, size=rows)
    return x, y


def train(seed, steps=300, batch=32):
    """The mean squared error at each checkpoint of one training run."""
    rng = np.random.default_rng(seed)
    x, y = make_data(rng)
    w = np.zeros(x.shape[1])
    curve = []
    for step in range(1, steps + 1):
        rows = rng.integers(0, len(x), size=batch)
        gradient = 2 * x[rows].T @ (x[rows] @ w - y[rows]) / batch
        w -= LEARNING_RATE * gradient
        if step in CHECKPOINTS:
            curve.append({"step": step, "min:loss": np.mean((x @ w - y) ** 2)})
    return curve
