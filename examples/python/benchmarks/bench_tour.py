"""A solver's score with the standard library only: the length of a tour
of 40 random cities after 3000 random 2-opt moves (lower is better)."""

import math
import random

CITIES = 40
MOVES = 3000


def tour_length(cities, order):
    return sum(math.dist(cities[a], cities[b]) for a, b in zip(order, order[1:] + order[:1]))


def bench_tour(seed, *, n_seeds=20):
    rng = random.Random(seed)
    cities = [(rng.random(), rng.random()) for _ in range(CITIES)]
    order = list(range(CITIES))
    rng.shuffle(order)
    length = tour_length(cities, order)
    for _ in range(MOVES):
        i, j = sorted(rng.sample(range(CITIES), 2))
        candidate = order[:i] + order[i:j + 1][::-1] + order[j + 1:]
        candidate_length = tour_length(cities, candidate)
        if candidate_length < length:
            order, length = candidate, candidate_length
    return {"min:length": length}
