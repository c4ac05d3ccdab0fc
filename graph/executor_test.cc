#include "graph/executor.h"

#include <atomic>
#include <functional>
#include <cstdlib>
#include <new>

#include <gtest/gtest.h>

#include "graph/evaluate.h"
#include "graph/pass_manager.h"
#include "graph/testing/graph_testing.h"
#include "kernels/core/allocator.h"
#include "kernels/core/error.h"
#include "kernels/testing/op_runner.h"

// Counts heap allocations made while `g_counting` is set (this test binary
// only), to prove that Executable::run allocates nothing.
namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  return std::malloc(n ? n : 1);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace kiln {
namespace graph {
namespace {

using kiln::testing::all_close;
using testing::f32;
using testing::rand;
using Ints = std::vector<int64_t>;

void expect_close(const std::vector<Tensor>& got, const std::vector<Tensor>& want,
                  double rtol = 1e-4, double atol = 1e-5) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].meta(), want[i].meta()) << "output " << i;
    EXPECT_TRUE(all_close(got[i], want[i], rtol, atol))
        << "output " << i << ": closeness " << kiln::testing::closeness(got[i], want[i], rtol, atol);
  }
}

// Many op families in one graph: library-backed, movement, reduce,
// elementwise chains (in place), a multi-output op, compare and where.
Graph mixed_graph() {
  Graph g;
  const ValueId x = g.add_input("x", f32({2, 3, 6, 6}), 1);
  ValueId c = g.add_node(OpCall::make("conv2d", {{"padding", Ints{1, 1}}}),
                         {x, g.add_constant("w", rand({4, 3, 3, 3}, 1))})[0];
  c = g.add_node(OpCall::make("max_pool2d", {{"kernel", Ints{2, 2}}}), {c})[0];        // (2,4,3,3)
  c = g.add_node(OpCall::make("transpose", {{"perm", Ints{0, 2, 3, 1}}}), {c})[0];    // (2,3,3,4)
  c = g.add_node(OpCall::make("reshape", {{"shape", Ints{-1, 4}}}), {c})[0];          // (18,4)
  c = g.add_node(OpCall::make("slice", {{"axes", Ints{0}}, {"starts", Ints{1}}, {"stops", Ints{17}},
                                        {"steps", Ints{2}}}), {c})[0];                // (8,4)
  c = g.add_node(OpCall::make("matmul"), {c, g.add_constant("w2", rand({4, 5}, 2))})[0];
  const ValueId sm = g.add_node(OpCall::make("softmax"), {c})[0];                      // (8,5)
  const ValueId b = g.add_node(OpCall::make("broadcast_to", {{"shape", Ints{8, 5}}}),
                               {g.add_constant("row", rand({1, 5}, 3))})[0];
  const ValueId cat = g.add_node(OpCall::make("concat"), {sm, b})[0];                  // (16,5)
  const auto ln = g.add_node(OpCall::make("layer_norm"),
                             {cat, g.add_constant("lw", rand({5}, 4)), g.add_constant("lb", rand({5}, 5))});
  ValueId r = g.add_node(OpCall::make("sum", {{"axes", Ints{1}}}), {ln[0]})[0];        // (16,)
  r = g.add_node(OpCall::make("abs"), {r})[0];
  r = g.add_node(OpCall::make("neg"), {r})[0];
  r = g.add_node(OpCall::make("exp"), {r})[0];
  Tensor half = Tensor::empty({}, DType::kFloat32);
  half.data<float>()[0] = 0.5f;
  const ValueId cmp = g.add_node(OpCall::make("greater"), {r, g.add_constant("half", half)})[0];
  Tensor zero = Tensor::empty({}, DType::kFloat32);
  zero.data<float>()[0] = 0.0f;
  g.add_output("where", g.add_node(OpCall::make("where"), {cmp, r, g.add_constant("zero", zero)})[0]);
  g.add_output("cat", cat);
  g.add_output("mean", ln[1]);
  verify(g);
  return g;
}

void expect_error(const std::function<void()>& fn, std::initializer_list<const char*> needles) {
  try {
    fn();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    for (const char* n : needles)
      EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
  }
}

std::vector<Tensor> run_once(Executable& exe, const std::vector<Tensor>& inputs,
                             const std::vector<Tensor>& states = {}) {
  std::vector<Tensor> out = exe.allocate_outputs();
  exe.run(inputs, states, out);
  return out;
}

TEST(Executor, MatchesTheReferenceInterpreter) {
  const Graph g = mixed_graph();
  const std::vector<Tensor> in = {rand({2, 3, 6, 6}, 2)};
  Executable exe(g, {in[0].meta()});
  EXPECT_EQ(exe.phase(), Executable::Phase::kReady);
  expect_close(run_once(exe, in), interpret(g, in, Backend::kReference).outputs);
  // The reference backend through the executor gives the same numbers.
  ExecutableOptions ref;
  ref.backend = Backend::kReference;
  Executable ref_exe(g, {in[0].meta()}, ref);
  expect_close(run_once(ref_exe, in), interpret(g, in, Backend::kReference).outputs);
  // The slice stops at row 17: a batch of 1 (9 rows) cannot compile.
  expect_error([&] { Executable(g, {f32({1, 3, 6, 6})}); }, {"slice"});
}

TEST(Executor, EachRunReadsItsOwnInputs) {
  const Graph g = testing::small_cnn(3);
  Executable exe(g, {f32({3, 3, 8, 8})});
  std::vector<Tensor> out = exe.allocate_outputs();
  for (uint64_t seed = 0; seed < 3; ++seed) {
    const std::vector<Tensor> in = {rand({3, 3, 8, 8}, seed)};
    exe.run(in, {}, out);
    expect_close(out, interpret(g, in).outputs);
  }
}

TEST(Executor, DynamicBatchCompilesPerSignature) {
  Graph g = testing::small_cnn(4);
  optimize_for_inference(g);
  for (int64_t batch : {1, 4, 7}) {
    const std::vector<Tensor> in = {rand({batch, 3, 8, 8}, batch)};
    Executable exe(g, {in[0].meta()});
    EXPECT_EQ(exe.output_metas()[0], f32({batch, 10}));
    expect_close(run_once(exe, in), interpret(testing::small_cnn(4), in).outputs);
  }
}

// States are read during the run and written back after it: an update from
// an intermediate, from another state (a swap), from an input and from a
// constant; outputs may be inputs, constants, states (their value before the
// run) and the same value under two names.
TEST(Executor, StatesAndOutputsOfEveryKind) {
  Graph g;
  const ValueId x = g.add_input("x", f32({3}));
  const ValueId s1 = g.add_state("s1", rand({3}, 1));
  const ValueId s2 = g.add_state("s2", rand({3}, 2));
  const ValueId s3 = g.add_state("s3", rand({3}, 3));
  const ValueId s4 = g.add_state("s4", rand({3}, 4));
  const ValueId s5 = g.add_state("s5", rand({3}, 5));
  const ValueId k = g.add_constant("k", rand({3}, 6));
  const ValueId y = g.add_node(OpCall::make("add"), {s1, x})[0];
  const ValueId z = g.add_node(OpCall::make("mul"), {y, k})[0];
  g.set_state_update(s1, z);
  g.set_state_update(s2, s3);
  g.set_state_update(s3, s2);
  g.set_state_update(s4, x);
  g.set_state_update(s5, k);
  g.add_output("y", y);
  g.add_output("y_again", y);
  g.add_output("x", x);
  g.add_output("k", k);
  g.add_output("s1", s1);
  verify(g);

  Executable exe(g, {f32({3})});
  std::vector<Tensor> states;
  for (ValueId s : g.states()) states.push_back(g.tensor(s).clone());
  for (int run = 0; run < 3; ++run) {
    SCOPED_TRACE(run);
    std::vector<Tensor> before;
    for (const Tensor& s : states) before.push_back(s.clone());
    const std::vector<Tensor> in = {rand({3}, 10 + run)};
    const std::vector<Tensor> out = run_once(exe, in, states);
    // The reference: interpret with the states as they were.
    Graph ref = g;
    for (size_t i = 0; i < g.states().size(); ++i) ref.set_tensor(g.states()[i], before[i]);
    const Interpretation want = interpret(ref, in);
    expect_close(out, want.outputs);
    expect_close(states, want.states);
    EXPECT_TRUE(all_close(out[4], before[0]));  // s1 as it was read
    EXPECT_TRUE(all_close(states[1], before[2]));  // the swap
    EXPECT_TRUE(all_close(states[2], before[1]));
  }
}

TEST(Executor, ElementwiseChainsRunInPlaceAndTheArenaIsReported) {
  Graph g;
  const ValueId x = g.add_input("x", f32({64, 64}));
  ValueId y = g.add_node(OpCall::make("exp"), {x})[0];
  for (const char* op : {"neg", "sigmoid", "tanh", "abs", "sqrt"}) y = g.add_node(OpCall::make(op), {y})[0];
  y = g.add_node(OpCall::make("sum", {{"axes", Ints{1}}}), {y})[0];
  g.add_output("y", y);
  Executable exe(g, {f32({64, 64})});
  EXPECT_EQ(exe.in_place_count(), 5);
  EXPECT_EQ(exe.arena_bytes(), 64u * 64 * 4);  // one buffer for the whole chain
  EXPECT_EQ(exe.naive_arena_bytes(), 6u * 64 * 64 * 4);
  EXPECT_NE(exe.plan_str().find("arena 16384 bytes"), std::string::npos) << exe.plan_str();
  const std::vector<Tensor> in = {rand({64, 64}, 1)};
  expect_close(run_once(exe, in), interpret(g, in).outputs);
}

// Only kiln's own kernels: movement, concat, reduce, elementwise, index.
Graph kiln_kernels_graph() {
  Graph g;
  const ValueId x = g.add_input("x", f32({16, 8}));
  ValueId t = g.add_node(OpCall::make("transpose", {{"perm", Ints{1, 0}}}), {x})[0];   // (8,16)
  t = g.add_node(OpCall::make("reshape", {{"shape", Ints{4, 32}}}), {t})[0];
  t = g.add_node(OpCall::make("slice", {{"axes", Ints{1}}, {"starts", Ints{0}}, {"stops", Ints{32}},
                                        {"steps", Ints{4}}}), {t})[0];                // (4,8)
  const ValueId b = g.add_node(OpCall::make("broadcast_to", {{"shape", Ints{4, 8}}}),
                               {g.add_constant("row", rand({8}, 1))})[0];
  t = g.add_node(OpCall::make("concat", {{"axis", int64_t{0}}}), {t, b})[0];         // (8,8)
  t = g.add_node(OpCall::make("add"), {t, g.add_constant("k", rand({8, 8}, 2))})[0];
  t = g.add_node(OpCall::make("exp"), {t})[0];
  const ValueId m = g.add_node(OpCall::make("max", {{"axes", Ints{1}}, {"keepdims", true}}), {t})[0];
  t = g.add_node(OpCall::make("div"), {t, m})[0];
  const ValueId cmp = g.add_node(OpCall::make("greater"), {t, g.add_constant("half", rand({}, 3, 0.5f, 0.6f))})[0];
  t = g.add_node(OpCall::make("where"), {cmp, t, g.add_constant("zero", rand({}, 4, 0, 0))})[0];
  Tensor idx = Tensor::empty({3}, DType::kInt32);
  for (int i = 0; i < 3; ++i) idx.data<int32_t>()[i] = 2 * i + 1;
  t = g.add_node(OpCall::make("index_select", {{"axis", int64_t{1}}}), {t, g.add_constant("idx", idx)})[0];
  g.add_output("y", g.add_node(OpCall::make("sum", {{"axes", Ints{0}}}), {t})[0]);
  g.add_output("cast", g.add_node(OpCall::make("cast", {{"dtype", std::string("int32")}}), {t})[0]);
  verify(g);
  return g;
}

// The arena, kernels and argument arrays exist from compile time: a run
// creates no tensor (no CpuAllocator traffic). With kiln's own kernels it
// makes no heap allocation at all; oneDNN's execute() keeps a small argument
// map per call, the same count every run.
TEST(Executor, RunAllocatesNothing) {
  for (int which = 0; which < 2; ++which) {
    SCOPED_TRACE(which == 0 ? "kiln kernels" : "optimized cnn (oneDNN)");
    Graph g = which == 0 ? kiln_kernels_graph() : testing::small_cnn(4);
    if (which == 1) optimize_for_inference(g);
    const std::vector<Tensor> in = {which == 0 ? rand({16, 8}, 1) : rand({4, 3, 8, 8}, 1)};
    Executable exe(g, {in[0].meta()});
    std::vector<Tensor> out = exe.allocate_outputs();
    exe.run(in, {}, out);  // warm: thread pools and lazy library state
    expect_close(out, interpret(g, in).outputs);
    const AllocatorStats before = CpuAllocator::instance().stats();
    long counts[3];
    for (long& count : counts) {
      g_allocations = 0;
      g_counting = true;
      exe.run(in, {}, out);
      g_counting = false;
      count = g_allocations.load();
    }
    const AllocatorStats after = CpuAllocator::instance().stats();
    EXPECT_EQ(after.system_allocs, before.system_allocs);
    EXPECT_EQ(after.allocated_bytes, before.allocated_bytes);
    EXPECT_EQ(after.peak_bytes, before.peak_bytes);
    if (which == 0) EXPECT_EQ(counts[0], 0);
    EXPECT_EQ(counts[1], counts[0]);
    EXPECT_EQ(counts[2], counts[0]);
  }
}

TEST(Executor, BadArgumentsAndFailingNodesAreNamed) {
  const Graph g = testing::small_cnn(2);
  Executable exe(g, {f32({2, 3, 8, 8})});
  std::vector<Tensor> out = exe.allocate_outputs();
  expect_error([&] { exe.run({rand({3, 3, 8, 8}, 1)}, {}, out); },
               {"input 0", "(3, 3, 8, 8)", "compiled for", "(2, 3, 8, 8)"});
  expect_error([&] { exe.run({}, {}, out); }, {"0 inputs", "expected 1"});
  const Tensor strided = rand({2, 8, 8, 3}, 1).permute({0, 3, 1, 2});
  expect_error([&] { exe.run({strided}, {}, out); }, {"not contiguous"});
  expect_error([&] { exe.run({rand({2, 3, 8, 8}, 1)}, {}, {}); }, {"0 outputs"});

  Graph bad;  // an index out of range is data: found at run time, named by node
  const ValueId table = bad.add_constant("table", rand({4, 2}, 1));
  const ValueId idx = bad.add_input("idx", {DType::kInt32, {2}});
  bad.add_output("y", bad.add_node(OpCall::make("index_select"), {table, idx})[0]);
  Executable bad_exe(bad, {{DType::kInt32, {2}}});
  Tensor i = Tensor::empty({2}, DType::kInt32);
  i.data<int32_t>()[0] = 1;
  i.data<int32_t>()[1] = 7;
  std::vector<Tensor> bad_out = bad_exe.allocate_outputs();
  expect_error([&] { bad_exe.run({i}, {}, bad_out); }, {"node 0", "index_select", "7"});
}

}  // namespace
}  // namespace graph
}  // namespace kiln
