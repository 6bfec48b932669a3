/* A pybench benchmark in C: a noisy iterative solver reporting two metrics
 * ("accuracy", higher is better, and "min:residual", lower is better) at
 * three steps. Build: cc -O2 -shared -fPIC -o libsolver.so solver.c -lm */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pybench.h"

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *state) {
    return (double)(splitmix64(state) >> 11) * 0x1.0p-53;
}

static double normal(uint64_t *state) {
    double u1 = 1.0 - uniform(state), u2 = uniform(state);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

PYBENCH_META(solver, "{\"abi\":1,\"n_seeds\":20}")

PYBENCH_EXPORT int32_t bench_solver(uint64_t seed, void *ctx, pybench_emit emit) {
    static const int steps[] = {10, 50, 200};
    /* SOLVER_SLOWDOWN makes the residual shrink more slowly: a regression. */
    const char *slowdown = getenv("SOLVER_SLOWDOWN");
    double rate = slowdown ? 0.02 / atof(slowdown) : 0.02;
    uint64_t state = seed;
    char json[512];
    size_t used = 0;
    used += (size_t)snprintf(json + used, sizeof json - used, "[");
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        double residual = exp(-rate * steps[i]) * (1.0 + 0.1 * normal(&state));
        double accuracy = 1.0 - 0.5 * residual + 0.01 * normal(&state);
        used += (size_t)snprintf(json + used, sizeof json - used,
                                 "%s{\"step\": %d, \"accuracy\": %.17g, \"min:residual\": %.17g}",
                                 i ? ", " : "", steps[i], accuracy, residual);
    }
    used += (size_t)snprintf(json + used, sizeof json - used, "]");
    if (used >= sizeof json) {
        static const char message[] = "score buffer too small";
        emit(ctx, (const uint8_t *)message, sizeof message - 1);
        return 1;
    }
    emit(ctx, (const uint8_t *)json, used);
    return 0;
}
