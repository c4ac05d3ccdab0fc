#include "graph/runtime.h"

#include <gtest/gtest.h>

#include <thread>

#include "graph/evaluate.h"
#include "graph/pass_manager.h"
#include "graph/testing/graph_testing.h"
#include "kernels/core/error.h"
#include "kernels/testing/op_runner.h"

namespace kiln {
namespace {

using graph::testing::f32;
using graph::testing::rand;
using kiln::testing::all_close;
using kiln::testing::expect_error;

Model optimized_cnn() {
  graph::Graph g = graph::testing::small_cnn(4);  // built (traced) at batch 4
  graph::optimize_for_inference(g);
  return Model::from_graph(std::move(g), {{"producer", "runtime_test"}});
}

// The unoptimized graph, node by node on the reference kernels.
Tensor reference(const Tensor& x) {
  return graph::interpret(graph::testing::small_cnn(4), {x}).outputs[0];
}

TEST(Runtime, ModelDescribesItsSignatureAndMetadata) {
  const Model model = optimized_cnn();
  ASSERT_EQ(model.inputs().size(), 1u);
  EXPECT_EQ(model.inputs()[0].str(), "x: float32(?, 3, 8, 8)");
  EXPECT_EQ(model.inputs()[0].shape, (std::vector<int64_t>{-1, 3, 8, 8}));
  ASSERT_EQ(model.outputs().size(), 1u);
  EXPECT_EQ(model.outputs()[0].str(), "y: float32(?, 10)");
  EXPECT_EQ(model.metadata().at("producer"), "runtime_test");
}

TEST(Runtime, DynamicBatchRunsAtOtherSizesAndCachesPlans) {
  const Model model = optimized_cnn();
  Session session(model);
  for (int64_t batch : {4, 1, 7, 1}) {
    SCOPED_TRACE(batch);
    const Tensor x = rand({batch, 3, 8, 8}, batch);
    session.set_input("x", x);
    session.run();
    const Tensor& y = session.output("y");
    EXPECT_EQ(y.shape(), Shape({batch, 10}));
    EXPECT_TRUE(all_close(y, reference(x), 1e-4, 1e-5));
    EXPECT_GT(session.peak_arena_bytes(), 0u);
  }
  EXPECT_EQ(session.num_compiled(), 3u);  // 4, 1 and 7; the second 1 reused its plan
  EXPECT_NE(session.plan_str().find("conv2d"), std::string::npos) << session.plan_str();
}

// A trace records flatten at its batch (reshape to [4, -1]); the inference
// pipeline frees the batch so the model still runs at any batch.
TEST(Runtime, TracedFlattenFollowsTheBatchAfterOptimization) {
  graph::Graph g;
  const graph::ValueId x = g.add_input("x", f32({4, 2, 3, 3}), 1);
  graph::ValueId y =
      g.add_node(OpCall::make("reshape", {{"shape", std::vector<int64_t>{4, -1}}}), {x})[0];
  y = g.add_node(OpCall::make("matmul"), {y, g.add_constant("w", rand({18, 5}, 1))})[0];
  g.add_output("y", y);
  const graph::Graph traced = g;
  graph::optimize_for_inference(g);
  const Model model = Model::from_graph(g);
  EXPECT_EQ(model.outputs()[0].str(), "y: float32(?, 5)");
  Session session(model);
  for (int64_t batch : {1, 7}) {
    const Tensor in = rand({batch, 2, 3, 3}, batch);
    session.set_input("x", in);
    session.run();
    Tensor flat = in.reshape_view({batch, 18});
    Tensor want = graph::evaluate_op(OpCall::make("matmul"), {flat, traced.tensor(2)})[0];
    EXPECT_TRUE(all_close(session.output("y"), want, 1e-4, 1e-5));
  }
}

TEST(Runtime, PlanCacheIsBounded) {
  const Model model = optimized_cnn();
  SessionOptions options;
  options.max_cached_signatures = 2;
  Session session(model, options);
  for (int64_t batch : {1, 2, 3, 1}) {
    session.set_input("x", rand({batch, 3, 8, 8}, batch));
    session.run();
    EXPECT_LE(session.num_compiled(), 2u);
  }
}

TEST(Runtime, StridedInputsAreAccepted) {
  Session session(optimized_cnn());
  const Tensor nhwc = rand({2, 8, 8, 3}, 5);
  const Tensor x = nhwc.permute({0, 3, 1, 2});
  ASSERT_FALSE(x.is_contiguous());
  session.set_input("x", x);
  session.run();
  EXPECT_TRUE(all_close(session.output("y"), reference(x.contiguous()), 1e-4, 1e-5));
}

TEST(Runtime, BadInputsGiveClearErrors) {
  Session session(optimized_cnn());
  expect_error(ErrorKind::kValue, [&] { session.run(); }, {"'x'", "not set"});
  expect_error(ErrorKind::kRuntime, [&] { session.output("y"); }, {"run()"});
  expect_error(ErrorKind::kValue,
               [&] {
                 session.set_input("image", rand({1, 3, 8, 8}, 1));
               },
               {"unknown input 'image'", "x: float32(?, 3, 8, 8)"});
  expect_error(ErrorKind::kType,
               [&] {
                 session.set_input("x", Tensor::empty({1, 3, 8, 8}, DType::kInt32));
               },
               {"'x'", "int32", "float32(?, 3, 8, 8)"});
  expect_error(ErrorKind::kValue,
               [&] {
                 session.set_input("x", rand({1, 3, 8}, 1));
               },
               {"'x'", "(1, 3, 8)", "(?, 3, 8, 8)"});
  expect_error(ErrorKind::kValue,
               [&] {
                 session.set_input("x", rand({1, 4, 8, 8}, 1));
               },
               {"'x'", "(1, 4, 8, 8)", "(?, 3, 8, 8)"});
  expect_error(ErrorKind::kValue, [&] { session.set_input("x", Tensor()); }, {"undefined"});
  session.set_input("x", rand({1, 3, 8, 8}, 1));
  session.run();
  expect_error(ErrorKind::kValue, [&] { session.output("logits"); },
               {"unknown output 'logits'", "y: float32(?, 10)"});
}

// A graph whose shapes cannot follow a new batch fails at compile time with
// the node named; the session stays usable.
TEST(Runtime, ShapesAGraphCannotFollowFailAtRun) {
  graph::Graph g;
  const graph::ValueId x = g.add_input("x", f32({4, 6}), 1);
  g.add_output(
      "y", g.add_node(OpCall::make("reshape", {{"shape", std::vector<int64_t>{4, 3, 2}}}), {x})[0]);
  Session session(Model::from_graph(g));
  EXPECT_EQ(session.model().outputs()[0].str(), "y: float32(4, 3, 2)");
  session.set_input("x", rand({5, 6}, 1));
  expect_error(ErrorKind::kValue, [&] { session.run(); }, {"reshape", "(5, 6)"});
  session.set_input("x", rand({4, 6}, 1));
  session.run();
  EXPECT_EQ(session.output("y").shape(), Shape({4, 3, 2}));
}

// State belongs to the session: each starts from the model's values.
TEST(Runtime, SessionsOwnTheirState) {
  graph::Graph g;
  const graph::ValueId x = g.add_input("x", f32({3}));
  const graph::ValueId s = g.add_state("count", Tensor::empty({3}, DType::kFloat32));
  const Tensor zero = g.tensor(s);
  for (int i = 0; i < 3; ++i) zero.data<float>()[i] = 0;
  const graph::ValueId next = g.add_node(OpCall::make("add"), {s, x})[0];
  g.set_state_update(s, next);
  g.add_output("total", next);
  const Model model = Model::from_graph(g);
  Session a(model), b(model);
  const Tensor one = rand({3}, 1, 1, 1);
  for (int i = 0; i < 3; ++i) {
    a.set_input("x", one);
    a.run();
  }
  b.set_input("x", one);
  b.run();
  EXPECT_FLOAT_EQ(a.output("total").data<float>()[0], 3.0f);
  EXPECT_FLOAT_EQ(b.output("total").data<float>()[0], 1.0f);
  EXPECT_FLOAT_EQ(model.graph().tensor(model.graph().states()[0]).data<float>()[0], 0.0f);
}

TEST(Runtime, OneModelManySessionsOnManyThreads) {
  const Model model = optimized_cnn();
  const Tensor x = rand({3, 3, 8, 8}, 9);
  const Tensor want = reference(x);
  std::vector<int> ok(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Session session(model);
      for (int i = 0; i < 5; ++i) {
        session.set_input("x", x);
        session.run();
        ok[t] += all_close(session.output("y"), want, 1e-4, 1e-5);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(ok, std::vector<int>(4, 5));
}

}  // namespace
}  // namespace kiln
