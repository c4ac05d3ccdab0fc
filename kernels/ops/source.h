// Source ops: values come from attributes (the random ops also read the
// position of their random stream from a 0-d int32 counter input).
//   arange(start: float, stop: float, step: float, default 1, dtype: string,
//     default "float32"; float32 or int32) — ceil((stop - start) / step)
//     values start + i * step (computed in double, then cast); step != 0.
//   uniform_random(shape: ints, seed: int, low: float = 0, high: float = 1)
//     — float32 values low + (high - low) * u with u in [0, 1) on a 2^-24 grid
//     (rounding may reach high).
//   normal_random(shape: ints, seed: int, mean: float = 0, std: float = 1) —
//     float32, Box-Muller: elements 2p and 2p + 1 are the cosine and sine
//     outputs of draw p (tails end near 5.8 std).
// The random ops are counter-based: draw p is two splitmix64 rounds of
// (stream seed, p), the stream seed mixing the seed attribute with the
// counter input; element i is a pure function of (seed, counter, i): results do not
// depend on the thread count, and a smaller draw is a prefix of a larger one.
// Both backends fill through the functions below (the reference one element
// at a time), so they agree exactly.
#pragma once

#include <cstdint>

#include "kernels/op_def.h"

namespace kiln {

// out[0 .. end - begin) = elements begin .. end of the op's flat output.
// The seed a random op draws with: its `seed` attribute mixed with the
// stream position held by its counter input (a 0-d int32 tensor).
uint64_t random_stream_seed(const Attrs& attrs, const Tensor& counter);
void fill_uniform(float* out, int64_t begin, int64_t end, uint64_t seed, float low, float high);
void fill_normal(float* out, int64_t begin, int64_t end, uint64_t seed, float mean, float std);
template <typename T>
void fill_arange(T* out, int64_t begin, int64_t end, double start, double step);

void define_source_ops(OpTable& table);
void register_source_cpu(OpTable& table);
void register_source_reference(OpTable& table);

}  // namespace kiln
