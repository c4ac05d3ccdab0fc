#include "graph/passes/conv_batchnorm_folding.h"

#include <gtest/gtest.h>

#include "graph/rewrite.h"
#include "graph/testing/graph_testing.h"

namespace kiln {
namespace graph {
namespace {

using testing::expect_same_outputs;
using testing::f32;
using testing::rand;

struct Options {
  bool conv_bias = true;
  int64_t groups = 1;
  bool training = false;
  bool y_is_output = false;      // the conv output is also a graph output
  bool mean_is_output = false;   // batch_norm's statistics output is used
  bool gamma_is_state = false;   // a batch-norm parameter is not constant
  bool weight_is_input = false;  // the conv weight is not constant
  bool conv_relu = false;
};

struct Built {
  Graph g;
  std::vector<Tensor> inputs;
};

// x (2, 4, 6, 6) -> conv2d 3x3 (6 channels) -> batch_norm -> output "z".
Built build(const Options& o) {
  Built b;
  Graph& g = b.g;
  const ValueId x = g.add_input("x", f32({2, 4, 6, 6}), 1);
  b.inputs.push_back(rand({2, 4, 6, 6}, 1));
  const Shape w_shape{6, 4 / o.groups, 3, 3};
  ValueId w;
  if (o.weight_is_input) {
    w = g.add_input("w", f32(w_shape));
    b.inputs.push_back(rand(w_shape, 2));
  } else {
    w = g.add_constant("w", rand(w_shape, 2));
  }
  std::vector<ValueId> conv_in = {x, w};
  if (o.conv_bias) conv_in.push_back(g.add_constant("b", rand({6}, 3)));
  const ValueId y = g.add_node(OpCall::make("conv2d", {{"padding", std::vector<int64_t>{1, 1}},
                                                        {"groups", o.groups},
                                                        {"relu", o.conv_relu}}),
                               conv_in)[0];
  const ValueId gamma = o.gamma_is_state ? g.add_state("gamma", rand({6}, 4, 0.5f, 1.5f))
                                         : g.add_constant("gamma", rand({6}, 4, 0.5f, 1.5f));
  const ValueId beta = g.add_constant("beta", rand({6}, 5));
  const ValueId mean = g.add_constant("mean", rand({6}, 6));
  const ValueId var = g.add_constant("var", rand({6}, 7, 0.2f, 2.0f));
  const auto bn = g.add_node(OpCall::make("batch_norm", {{"eps", 1e-3}, {"training", o.training}}),
                             {y, gamma, beta, mean, var});
  g.add_output("z", bn[0]);
  if (o.y_is_output) g.add_output("y", y);
  if (o.mean_is_output) g.add_output("mean", bn[1]);
  verify(g);
  return b;
}

void expect_folded(const Options& o) {
  Built b = build(o);
  const Graph before = b.g;
  EXPECT_TRUE(ConvBatchNormFolding().run(b.g));
  verify(b.g);
  EXPECT_EQ(count_ops(b.g, "batch_norm"), 0);
  ASSERT_EQ(count_ops(b.g, "conv2d"), 1);
  EXPECT_EQ(b.g.nodes()[0].inputs.size(), 3u);  // the folded bias
  expect_same_outputs(before, b.g, b.inputs, 1e-4, 1e-5);
  EXPECT_FALSE(ConvBatchNormFolding().run(b.g));
}

TEST(ConvBatchNormFolding, FoldsIntoWeightAndBias) {
  expect_folded({});
  Options no_bias;
  no_bias.conv_bias = false;
  expect_folded(no_bias);
  Options grouped;
  grouped.groups = 2;
  expect_folded(grouped);
}

TEST(ConvBatchNormFolding, FoldsAtOtherBatchSizesToo) {
  Built b = build({});
  const Graph before = b.g;
  ConvBatchNormFolding().run(b.g);
  expect_same_outputs(before, b.g, {rand({5, 4, 6, 6}, 9)}, 1e-4, 1e-5);
}

void expect_refused(const Options& o, const char* why) {
  SCOPED_TRACE(why);
  Built b = build(o);
  const std::string text = b.g.str();
  EXPECT_FALSE(ConvBatchNormFolding().run(b.g));
  EXPECT_EQ(b.g.str(), text);
}

TEST(ConvBatchNormFolding, RefusesEachBrokenPrecondition) {
  Options o;
  o.training = true;
  expect_refused(o, "batch_norm in training mode");
  o = {};
  o.y_is_output = true;
  expect_refused(o, "conv output read by another reader");
  o = {};
  o.mean_is_output = true;
  expect_refused(o, "batch-norm statistics are used");
  o = {};
  o.gamma_is_state = true;
  expect_refused(o, "a batch-norm parameter is state");
  o = {};
  o.weight_is_input = true;
  expect_refused(o, "the conv weight is an input");
  o = {};
  o.conv_relu = true;
  expect_refused(o, "the conv has a fused relu");
}

}  // namespace
}  // namespace graph
}  // namespace kiln
