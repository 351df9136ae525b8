// FUZZ_CHECK: an invariant that must hold for every input. It aborts (libFuzzer then saves
// the input as crash-<sha1>) even in release builds, where assert() is compiled out.
#pragma once
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                   \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);   \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)
