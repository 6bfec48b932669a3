"""A loss curve at three checkpoints, 30 seeds: needs numpy."""

from train import train


def bench_loss_curve(seed, *, n_seeds=30):
    return train(seed)
