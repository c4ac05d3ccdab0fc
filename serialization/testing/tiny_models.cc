#include "serialization/testing/tiny_models.h"

#include <cstring>

#include "kernels/op_call.h"
#include "serialization/model_file.h"

namespace kiln {
namespace serialization {
namespace testing {
namespace {

using graph::Graph;
using graph::ValueId;

// A tensor whose bytes are a simple function of the position.
template <typename T>
Tensor tensor(const Shape& shape, T (*value)(int64_t)) {
  Tensor t = Tensor::empty(shape, DTypeOf<T>::value);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<T>()[i] = value(i);
  return t;
}

ValueId node(Graph& g, const std::string& op, const std::vector<ValueId>& inputs,
             const Attrs& attrs = {}) {
  return g.add_node(OpCall::make(op, attrs), inputs)[0];
}

}  // namespace

Graph tiny_inference_graph() {
  Graph g;
  const ValueId x = g.add_input("x", {DType::kFloat32, {2, 3}}, /*dynamic_dims=*/1);
  const ValueId w = g.add_constant(
      "w", tensor<float>({3, 4}, [](int64_t i) { return 0.25f * static_cast<float>(i) - 1.0f; }));
  const ValueId b = g.add_constant(
      "b", tensor<float>({4}, [](int64_t i) { return 0.5f * static_cast<float>(i); }));
  const ValueId mask =
      g.add_constant("mask", tensor<bool>({4}, [](int64_t i) { return i % 2 == 0; }));
  const ValueId h = node(g, "matmul", {x, w}, {{"transpose_a", false}, {"transpose_b", false}});
  const ValueId hb = node(g, "add", {h, b});
  g.mutable_value(hb).name = "pre_activation";
  const ValueId r = node(g, "relu", {hb});
  const ValueId z = node(g, "where", {mask, r, hb});
  const ValueId half = node(
      g, "fill", {},
      {{"value", 0.5}, {"shape", std::vector<int64_t>{2, 4}}, {"dtype", std::string("float32")}});
  const ValueId s = node(g, "softmax", {node(g, "mul", {z, half})}, {{"axis", int64_t{-1}}});
  const ValueId total =
      node(g, "sum", {s}, {{"axes", std::vector<int64_t>{1}}, {"keepdims", true}});
  const ValueId offsets = g.add_constant(
      "offsets", tensor<int32_t>({4}, [](int64_t i) { return static_cast<int32_t>(i * 10); }));
  const ValueId ids =
      node(g, "add", {node(g, "cast", {s}, {{"dtype", std::string("int32")}}), offsets});
  const ValueId scale =
      g.add_constant("scale", tensor<Half>({1}, [](int64_t) { return Half(2.0f); }));
  const ValueId scaled =
      node(g, "mul", {total, node(g, "cast", {scale}, {{"dtype", std::string("float32")}})});
  g.add_output("probs", s);
  g.add_output("total", scaled);
  g.add_output("ids", ids);
  return g;
}

Graph tiny_training_graph() {
  Graph g;
  const ValueId w =
      g.add_state("w", tensor<float>({3}, [](int64_t i) { return 1.0f + static_cast<float>(i); }));
  const ValueId bias = g.add_state("bias", tensor<float>({1}, [](int64_t) { return -0.5f; }));
  const ValueId x = g.add_input("x", {DType::kFloat32, {4, 3}}, /*dynamic_dims=*/1);
  const ValueId lr = g.add_constant("lr", tensor<float>({}, [](int64_t) { return 0.1f; }));
  const ValueId y = node(g, "add", {node(g, "mul", {x, w}), bias});
  const ValueId loss = node(g, "mean", {node(g, "square", {y})});
  const ValueId grad = node(g, "mean", {x}, {{"axes", std::vector<int64_t>{0}}});
  const ValueId next = node(g, "sub", {w, node(g, "mul", {grad, lr})});
  g.mutable_value(next).name = "w_next";
  g.set_state_update(w, next);
  g.add_output("loss", loss);
  return g;
}

Graph tiny_cnn_graph() {
  Graph g;
  const auto ramp = [](int64_t i) { return 0.01f * static_cast<float>(i % 17) - 0.05f; };
  const auto ones = [](int64_t) { return 1.0f; };
  const auto zeros = [](int64_t) { return 0.0f; };
  const ValueId x = g.add_input("image", {DType::kFloat32, {2, 1, 6, 6}}, /*dynamic_dims=*/1);
  const ValueId w = g.add_constant("conv.weight", tensor<float>({4, 1, 3, 3}, ramp));
  const ValueId b = g.add_constant("conv.bias", tensor<float>({4}, ramp));
  const ValueId c =
      node(g, "conv2d", {x, w, b},
           {{"stride", std::vector<int64_t>{1, 1}}, {"padding", std::vector<int64_t>{1, 1}}});
  const ValueId gamma = g.add_constant("bn.weight", tensor<float>({4}, ones));
  const ValueId beta = g.add_constant("bn.bias", tensor<float>({4}, zeros));
  const ValueId mean = g.add_constant("bn.running_mean", tensor<float>({4}, zeros));
  const ValueId var = g.add_constant("bn.running_var", tensor<float>({4}, ones));
  const ValueId bn = g.add_node(OpCall::make("batch_norm", {{"eps", 1e-5}, {"training", false}}),
                                {c, gamma, beta, mean, var})[0];
  const ValueId pooled =
      node(g, "max_pool2d", {node(g, "relu", {bn})},
           {{"kernel", std::vector<int64_t>{2, 2}}, {"stride", std::vector<int64_t>{2, 2}}});
  const ValueId avg = node(g, "avg_pool2d", {pooled},
                           {{"kernel", std::vector<int64_t>{3, 3}},
                            {"stride", std::vector<int64_t>{1, 1}},
                            {"padding", std::vector<int64_t>{1, 1}}});
  const ValueId flat = node(g, "reshape", {avg}, {{"shape", std::vector<int64_t>{-1, 36}}});
  const ValueId t = node(g, "transpose", {flat}, {{"perm", std::vector<int64_t>{1, 0}}});
  const ValueId s = node(g, "slice", {t},
                         {{"axes", std::vector<int64_t>{0}},
                          {"starts", std::vector<int64_t>{0}},
                          {"stops", std::vector<int64_t>{8}},
                          {"steps", std::vector<int64_t>{2}}});
  const ValueId cat = node(g, "concat", {s, s}, {{"axis", int64_t{0}}});
  const ValueId padded =
      node(g, "pad", {cat}, {{"pads", std::vector<int64_t>{0, 0, 1, 1}}, {"value", 0.0}});
  const ValueId lw = g.add_constant("ln.weight", tensor<float>({4}, ones));
  const ValueId lb = g.add_constant("ln.bias", tensor<float>({4}, zeros));
  const ValueId ln =
      g.add_node(OpCall::make("layer_norm", {{"normalized_ndim", int64_t{1}}, {"eps", 1e-5}}),
                 {padded, lw, lb})[0];
  const ValueId logits = node(
      g, "matmul", {ln, node(g, "broadcast_to", {lw}, {{"shape", std::vector<int64_t>{8, 4}}})},
      {{"transpose_a", true}});
  g.add_output("logits", logits);
  g.add_output("label", node(g, "argmax", {logits}, {{"axis", int64_t{1}}}));
  return g;
}

std::vector<std::pair<std::string, std::string>> seed_models() {
  return {
      {"inference.kiln",
       write_model(tiny_inference_graph(),
                   {{kUserInfoKey, "tiny inference model"}, {kOptimizationKey, "none"}})},
      {"training.kiln", write_model(tiny_training_graph(), {{kUserInfoKey, "tiny training step"}})},
      {"cnn.kiln", write_model(tiny_cnn_graph(), {{kUserInfoKey, "tiny cnn"}})},
  };
}

}  // namespace testing
}  // namespace serialization
}  // namespace kiln
