/* pybench benchmark ABI, version 1. Copy this header into a C, C++ or Zig
 * project to write benchmarks that pybench discovers and runs. */
#ifndef PYBENCH_H
#define PYBENCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef _WIN32
#define PYBENCH_EXPORT __declspec(dllexport)
#else
#define PYBENCH_EXPORT __attribute__((visibility("default")))
#endif

/* Hands the score JSON (on success) or an error message (on failure) back.
 * `ctx` and `emit` are valid only until the benchmark returns: `ctx` is a
 * token naming this call, and an emit through it after the call returned
 * (from a thread left running) is ignored. */
typedef void (*pybench_emit)(void *ctx, const uint8_t *utf8, size_t len);

/* Declare a benchmark's companion with its settings, e.g.
 *   PYBENCH_META(solver, "{\"abi\":1,\"n_seeds\":20}")
 * exports pybench_meta_solver, which marks bench_solver as a benchmark.
 * The data a benchmark reads is pinned by hash with "inputs", e.g.
 *   PYBENCH_META(trainer, "{\"abi\":1,\"inputs\":[\"data/train.csv\"]}") */
#define PYBENCH_META(name, json) \
    PYBENCH_EXPORT const char *pybench_meta_##name(void) { return json; }

#endif
