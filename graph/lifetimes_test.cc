#include "graph/lifetimes.h"

#include <gtest/gtest.h>

#include "graph/testing/graph_testing.h"

namespace kiln {
namespace graph {
namespace {

using testing::f32;
using testing::rand;

// x (4, 256) -> exp -> sigmoid -> matmul (256, 64) -> relu -> sum -> mul -> "f".
Graph chain(ValueId* ids) {
  Graph g;
  const ValueId x = g.add_input("x", f32({4, 256}));
  const ValueId a = g.add_node(OpCall::make("exp"), {x})[0];
  const ValueId b = g.add_node(OpCall::make("sigmoid"), {a})[0];
  const ValueId c = g.add_node(OpCall::make("matmul"), {b, g.add_constant("w", rand({256, 64}, 1))})[0];
  const ValueId d = g.add_node(OpCall::make("relu"), {c})[0];
  const ValueId e = g.add_node(OpCall::make("sum", {{"axes", std::vector<int64_t>{1}},
                                                    {"keepdims", true}}), {d})[0];
  const ValueId f = g.add_node(OpCall::make("mul"), {e, e})[0];
  g.add_output("f", f);
  const ValueId all[] = {x, a, b, c, d, e, f};
  std::copy(std::begin(all), std::end(all), ids);
  return g;
}

TEST(Lifetimes, ElementwiseOutputsReuseDyingInputs) {
  ValueId v[7];
  const Graph g = chain(v);
  const BufferAssignment a = assign_buffers(g);
  EXPECT_EQ(a.in_place, 2);  // sigmoid over exp's output, relu over matmul's
  EXPECT_EQ(a.buffer_of[v[1]], a.buffer_of[v[2]]);
  EXPECT_EQ(a.buffer_of[v[3]], a.buffer_of[v[4]]);
  EXPECT_EQ(a.buffer_of[v[0]], -1);  // the input
  EXPECT_EQ(a.buffer_of[v[6]], -1);  // the output: written into the caller's tensor
  ASSERT_EQ(a.buffers.size(), 3u);
  EXPECT_EQ(a.buffers[0].size, 4096u);
  EXPECT_EQ(a.buffers[0].first_use, 0);
  EXPECT_EQ(a.buffers[0].last_use, 2);
  EXPECT_EQ(a.buffers[2].first_use, 4);
  EXPECT_EQ(a.buffers[2].last_use, 5);
}

// The pinned plan of a fixed graph: a planner or lifetime change that grows
// it must be deliberate (TFLM's memory_arena_threshold_test).
TEST(Lifetimes, PlannedBytesOfASmallGraphArePinned) {
  ValueId v[7];
  const Graph g = chain(v);
  EXPECT_EQ(plan_memory(assign_buffers(g, true).buffers).peak_bytes, 5120u);
  EXPECT_EQ(plan_memory(assign_buffers(g, false).buffers).peak_bytes, 8192u);
  EXPECT_EQ(plan_memory(assign_buffers(testing::small_cnn(4), true).buffers).peak_bytes, 8320u);
}

TEST(Lifetimes, InPlaceOnlyWhereLegal) {
  Graph g;
  const ValueId x = g.add_input("x", f32({8}));
  const ValueId a = g.add_node(OpCall::make("exp"), {x})[0];         // x is an input: no
  const ValueId b = g.add_node(OpCall::make("neg"), {a})[0];         // a read again below: no
  const ValueId c = g.add_node(OpCall::make("add"), {a, b})[0];      // a and b die here: yes
  const ValueId d = g.add_node(OpCall::make("cast", {{"dtype", std::string("bool")}}), {c})[0];  // 1-byte: no
  const ValueId row = g.add_node(OpCall::make("reshape", {{"shape", std::vector<int64_t>{8, 1}}}), {c})[0];
  const ValueId e = g.add_node(OpCall::make("mul"), {row, g.add_constant("k", rand({1, 8}, 1))})[0];  // grows: no
  g.add_output("d", d);
  g.add_output("e", e);
  const BufferAssignment s = assign_buffers(g);
  EXPECT_EQ(s.in_place, 1);
  EXPECT_NE(s.buffer_of[a], s.buffer_of[b]);
  EXPECT_EQ(s.buffer_of[c], s.buffer_of[a]);
}

TEST(Lifetimes, StateUpdatesLiveToTheEnd) {
  Graph g;
  const ValueId x = g.add_input("x", f32({8}));
  const ValueId st = g.add_state("s", rand({8}, 1));
  const ValueId next = g.add_node(OpCall::make("exp"), {x})[0];
  const ValueId y = g.add_node(OpCall::make("neg"), {next})[0];  // may not take next's buffer
  g.add_output("y", g.add_node(OpCall::make("relu"), {y})[0]);
  g.set_state_update(st, next);
  const BufferAssignment s = assign_buffers(g);
  const BufferRequest& r = s.buffers[s.buffer_of[next]];
  EXPECT_EQ(r.last_use, 3);  // past the last node
  EXPECT_NE(s.buffer_of[y], s.buffer_of[next]);
}

}  // namespace
}  // namespace graph
}  // namespace kiln
