#include "kernels/ops/source.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstring>

#include "kernels/core/error.h"
#include "kernels/testing/op_runner.h"

namespace kiln {
namespace {

// The position of the random stream the random ops draw from.
Tensor counter(int32_t position = 0) {
  Tensor t = Tensor::empty(Shape{}, DType::kInt32);
  *t.data<int32_t>() = position;
  return t;
}

using testing::all_close;
using testing::expect_cpu_matches_reference;
using testing::run_op;
using Ints = std::vector<int64_t>;

Attrs uniform(const Ints& shape, int64_t seed, double low = 0, double high = 1) {
  return {{"shape", shape}, {"seed", seed}, {"low", low}, {"high", high}};
}
Attrs normal(const Ints& shape, int64_t seed, double mean = 0, double std = 1) {
  return {{"shape", shape}, {"seed", seed}, {"mean", mean}, {"std", std}};
}
bool equal(const Tensor& a, const Tensor& b) { return all_close(a, b, 0, 1e-30); }

TEST(Source, ArangeValues) {
  auto arange = [](double start, double stop, double step, const char* dtype = "float32") {
    return run_op(
        "arange", {},
        {{"start", start}, {"stop", stop}, {"step", step}, {"dtype", std::string(dtype)}})[0];
  };
  const Tensor a = arange(1, 2, 0.3);
  ASSERT_EQ(a.shape(), Shape({4}));
  EXPECT_FLOAT_EQ(a.data<float>()[3], 1.9f);
  const Tensor b = arange(5, 0, -2, "int32");
  ASSERT_EQ(b.shape(), Shape({3}));
  EXPECT_EQ(b.data<int32_t>()[2], 1);
  EXPECT_EQ(arange(3, 3, 1).numel(), 0);
  EXPECT_EQ(arange(3, 0, 1).numel(), 0);
  EXPECT_EQ(run_op("arange", {}, {{"start", 0.0}, {"stop", 100000.0}})[0].data<float>()[99999],
            99999.0f);
  for (const char* dtype : {"float32", "int32"})
    expect_cpu_matches_reference(
        "arange", {},
        {{"start", -7.5}, {"stop", 70000.0}, {"step", 1.25}, {"dtype", std::string(dtype)}}, 0,
        1e-30);
  testing::expect_error(ErrorKind::kValue, [&] { arange(0, 1, 0); },
                        {"arange", "step 0", "non-zero"});
  testing::expect_error(ErrorKind::kType, [&] { arange(0, 1, 1, "bool"); }, {"arange", "bool"});
  // Spans past the double range: an infinite count is refused, an infinitely
  // negative one is empty (never converted to int64).
  testing::expect_error(ErrorKind::kValue, [&] { arange(-1e308, 1e308, 1); },
                        {"arange", "inf elements", "fewer than 9.2e18"});
  testing::expect_error(ErrorKind::kValue, [&] { arange(0, 1e300, 1e-300); },
                        {"arange", "too many"});
  EXPECT_EQ(arange(1e308, -1e308, 1).shape(), Shape({0}));
  EXPECT_EQ(arange(0, -1e30, 1).shape(), Shape({0}));
}

TEST(Source, RandomIsDeterministicAndBackendAndThreadIndependent) {
  for (const Attrs& a : {uniform({1000, 37}, 42, -2, 3), uniform({7}, -1), uniform({0, 4}, 1)})
    expect_cpu_matches_reference("uniform_random", {counter()}, a, 0, 1e-30);
  for (const Attrs& a : {normal({1000, 37}, 42, 1, 2), normal({}, 3)})
    expect_cpu_matches_reference("normal_random", {counter()}, a, 0, 1e-30);
  const Tensor one = run_op("normal_random", {counter()}, normal({300000}, 5))[0];
  EXPECT_TRUE(equal(one, run_op("normal_random", {counter()}, normal({300000}, 5))[0]));
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const Tensor serial = run_op("normal_random", {counter()}, normal({300000}, 5))[0];
  omp_set_num_threads(threads);
  EXPECT_TRUE(equal(one, serial));
  // Element i depends only on (seed, i): a smaller draw is a prefix.
  const Tensor small = run_op("uniform_random", {counter()}, uniform({10}, 9))[0];
  const Tensor large = run_op("uniform_random", {counter()}, uniform({1000}, 9))[0];
  for (int i = 0; i < 10; ++i) EXPECT_EQ(small.data<float>()[i], large.data<float>()[i]);
  EXPECT_FALSE(equal(large, run_op("uniform_random", {counter()}, uniform({1000}, 10))[0]));
}

TEST(Source, RandomStatistics) {
  const int64_t n = 1 << 20;
  const Tensor u = run_op("uniform_random", {counter()}, uniform({n}, 1, -1, 3))[0];
  const Tensor z = run_op("normal_random", {counter()}, normal({n}, 2, 0.5, 2))[0];
  double su = 0, sz = 0, szz = 0, lo = 1e9, hi = -1e9;
  for (int64_t i = 0; i < n; ++i) {
    const double v = u.data<float>()[i], w = z.data<float>()[i];
    su += v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sz += w;
    szz += w * w;
  }
  EXPECT_NEAR(su / n, 1.0, 0.01);
  EXPECT_GE(lo, -1.0);
  EXPECT_LE(hi, 3.0);
  EXPECT_LT(lo, -0.99);
  EXPECT_GT(hi, 2.99);
  const double mean = sz / n, var = szz / n - mean * mean;
  EXPECT_NEAR(mean, 0.5, 0.01);
  EXPECT_NEAR(std::sqrt(var), 2.0, 0.01);
}

TEST(Source, BadAttributes) {
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          run_op("uniform_random", {counter()}, uniform({2, -1}, 0));
                        },
                        {"uniform_random", "(2, -1)", ">= 0"});
  testing::expect_error(ErrorKind::kValue,
                        [&] { run_op("uniform_random", {counter()}, uniform({2}, 0, 1, 0)); },
                        {"uniform_random", "low <= high"});
  testing::expect_error(ErrorKind::kValue,
                        [&] { run_op("normal_random", {counter()}, normal({2}, 0, 0, -1)); },
                        {"normal_random", "std"});
  testing::expect_error(ErrorKind::kValue,
                        [&] {
                          run_op("normal_random", {counter()}, {{"shape", Ints{2}}});
                        },
                        {"normal_random", "seed"});
  testing::expect_error(
      ErrorKind::kValue,
      [&] {
        testing::infer("fill", {}, {{"value", 0.0}, {"shape", Ints{1 << 30, 1 << 30, 1 << 30}}});
      },
      {"fill", "output 0 would have shape (1073741824, 1073741824, 1073741824)"});
}

// Graph passes ask the table, not a list of names, which ops must never be
// folded or merged.
TEST(Source, OnlyTheRandomOpsAreMarkedRandom) {
  for (const OpDef* def : op_table().all()) {
    const bool want = def->name == "uniform_random" || def->name == "normal_random";
    EXPECT_EQ(def->random, want) << def->name;
  }
}

}  // namespace
}  // namespace kiln

namespace kiln {
namespace {

TEST(RandomOps, TheCounterSelectsANewStream) {
  const Attrs a{{"shape", std::vector<int64_t>{100}}, {"seed", int64_t{3}}};
  const Tensor first = testing::run_op("uniform_random", {counter(0)}, a)[0];
  const Tensor again = testing::run_op("uniform_random", {counter(0)}, a)[0];
  const Tensor next = testing::run_op("uniform_random", {counter(1)}, a)[0];
  EXPECT_EQ(0, std::memcmp(first.raw_data(), again.raw_data(), first.nbytes()));
  EXPECT_NE(0, std::memcmp(first.raw_data(), next.raw_data(), first.nbytes()));
  EXPECT_THROW(testing::run_op("uniform_random", {Tensor::empty({1}, DType::kInt32)}, a), Error);
}

}  // namespace
}  // namespace kiln
