#include "kernels/ops/source.h"

#include <cmath>

#include "kernels/core/error.h"
#include "kernels/infer_util.h"
#include "kernels/ops/axis_util.h"

namespace kiln {

// The fill functions live here, out of line, so both backends run the same
// machine code (no per-file differences in FMA contraction).
namespace {
inline uint64_t mix64(uint64_t z) {  // splitmix64's finalizer
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
}  // namespace

uint64_t random_stream_seed(const Attrs& attrs, const Tensor& counter) {
  const uint64_t position = static_cast<uint32_t>(*counter.data<int32_t>());
  return mix64(static_cast<uint64_t>(attrs.get_int("seed")) + position * 0xd1b54a32d192ed03ull);
}

namespace {
inline uint64_t random_bits(uint64_t seed, uint64_t p) {
  return mix64(mix64(seed) + (p + 1) * 0x9e3779b97f4a7c15ull);
}
}  // namespace

void fill_uniform(float* out, int64_t begin, int64_t end, uint64_t seed, float low, float high) {
  const float scale = high - low;
#pragma omp simd
  for (int64_t i = begin; i < end; ++i)
    out[i - begin] = low + scale * (static_cast<float>(random_bits(seed, i) >> 40) * 0x1p-24f);
}

void fill_normal(float* out, int64_t begin, int64_t end, uint64_t seed, float mean, float std) {
  for (int64_t p = begin >> 1; 2 * p < end; ++p) {
    const uint64_t bits = random_bits(seed, p);
    const float u1 = static_cast<float>((bits >> 40) + 1) * 0x1p-24f;          // (0, 1]
    const float u2 = static_cast<float>((bits >> 16) & 0xffffffu) * 0x1p-24f;  // [0, 1)
    const float r = std * std::sqrt(-2.0f * std::log(u1));
    float s, c;
    sincosf(6.28318530718f * u2, &s, &c);
    if (2 * p >= begin) out[2 * p - begin] = mean + r * c;
    if (2 * p + 1 < end) out[2 * p + 1 - begin] = mean + r * s;
  }
}

template <typename T>
void fill_arange(T* out, int64_t begin, int64_t end, double start, double step) {
  for (int64_t i = begin; i < end; ++i)
    out[i - begin] = static_cast<T>(start + static_cast<double>(i) * step);
}
template void fill_arange<float>(float*, int64_t, int64_t, double, double);
template void fill_arange<int32_t>(int32_t*, int64_t, int64_t, double, double);

namespace {

using Metas = std::vector<TensorMeta>;

Shape checked_shape(const OpDef& op, const Attrs& a) {
  const Shape shape(a.get_ints("shape"));
  for (int64_t d : shape)
    KILN_CHECK(d >= 0, kValue, op.name, ": invalid shape ", shape.str(),
               "; expected dimensions >= 0");
  return shape;
}

Metas infer_arange(const OpDef& op, const Attrs& a, const Metas&) {
  const DType dtype = dtype_attr(op, a);
  KILN_CHECK(dtype == DType::kFloat32 || dtype == DType::kInt32, kType, op.name, ": dtype ",
             dtype_name(dtype), "; expected float32 or int32");
  const double start = a.get_float("start"), stop = a.get_float("stop"), step = a.get_float("step");
  KILN_CHECK(step != 0 && std::isfinite(start) && std::isfinite(stop) && std::isfinite(step),
             kValue, op.name, ": start ", start, ", stop ", stop, ", step ", step,
             "; expected finite values and a non-zero step");
  // (stop - start) / step may be +-inf or far outside int64: compare as a
  // double before converting, since the conversion of such a value is undefined.
  const double n = std::ceil((stop - start) / step);
  KILN_CHECK(n < 9.2e18, kValue, op.name, ": start ", start, ", stop ", stop, ", step ", step,
             " give ", n, " elements, too many; expected fewer than 9.2e18");
  return {{dtype, Shape{n > 0 ? static_cast<int64_t>(n) : 0}}};
}

// Random ops read one input: the 0-d int32 position of the stream they draw
// from (kiln.random advances it after every draw; in a traced step it is
// state, so each replay draws new numbers).
void check_counter(const OpDef& op, const Metas& in) {
  KILN_CHECK(in[0].dtype == DType::kInt32 && in[0].shape.rank() == 0, kType, op.name,
             ": the stream counter is ", in[0].str(), "; expected a 0-d int32 tensor");
}

Metas infer_uniform(const OpDef& op, const Attrs& a, const Metas& in) {
  check_counter(op, in);
  const double low = a.get_float("low"), high = a.get_float("high");
  KILN_CHECK(low <= high, kValue, op.name, ": low ", low, " > high ", high,
             "; expected low <= high");
  return {{DType::kFloat32, checked_shape(op, a)}};
}

Metas infer_normal(const OpDef& op, const Attrs& a, const Metas& in) {
  check_counter(op, in);
  KILN_CHECK(a.get_float("std") >= 0, kValue, op.name, ": std ", a.get_float("std"),
             "; expected std >= 0");
  return {{DType::kFloat32, checked_shape(op, a)}};
}

}  // namespace

void define_source_ops(OpTable& t) {
  t.define("arange")
      .kind(OpKind::kSource)
      .inputs(0)
      .infer(infer_arange)
      .attr("start", AttrType::kFloat)
      .attr("stop", AttrType::kFloat)
      .attr("step", AttrType::kFloat, 1.0)
      .attr("dtype", AttrType::kString, std::string("float32"));
  t.define("uniform_random")
      .kind(OpKind::kSource)
      .random()
      .inputs(1)
      .infer(infer_uniform)
      .attr("shape", AttrType::kInts)
      .attr("seed", AttrType::kInt)
      .attr("low", AttrType::kFloat, 0.0)
      .attr("high", AttrType::kFloat, 1.0);
  t.define("normal_random")
      .kind(OpKind::kSource)
      .random()
      .inputs(1)
      .infer(infer_normal)
      .attr("shape", AttrType::kInts)
      .attr("seed", AttrType::kInt)
      .attr("mean", AttrType::kFloat, 0.0)
      .attr("std", AttrType::kFloat, 1.0);
}

}  // namespace kiln
