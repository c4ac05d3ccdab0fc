#include "graph/passes/conv_batchnorm_folding.h"

#include <algorithm>
#include <cmath>

#include "graph/rewrite.h"

namespace kiln {
namespace graph {
namespace {

struct Match {
  int conv, bn;
};

bool float_constant(const Graph& g, ValueId v) {
  return is_constant(g, v) && g.value(v).meta.dtype == DType::kFloat32;
}

// The const half: every (conv, batch_norm) pair that meets the preconditions.
std::vector<Match> find_matches(const Graph& g) {
  const Uses uses(g);
  std::vector<Match> out;
  const auto& nodes = g.nodes();
  for (int n = 0; n < static_cast<int>(nodes.size()); ++n) {
    const Node& bn = nodes[n];
    if (bn.op.name() != "batch_norm" || bn.op.attrs.get_bool("training")) continue;
    bool params_constant = true;
    for (int i = 1; i <= 4; ++i) params_constant &= float_constant(g, bn.inputs[i]);
    if (!params_constant || !uses.unused(bn.outputs[1]) || !uses.unused(bn.outputs[2])) continue;
    const Value& y = g.value(bn.inputs[0]);
    if (y.kind != ValueKind::kIntermediate || !uses.only_used_by(y.id, n)) continue;
    const Node& conv = nodes[y.producer];
    // batch_norm normalises axis 1: the channels of an NCHW conv only.
    if (conv.op.name() != "conv2d" || conv.op.attrs.get_bool("relu") ||
        conv.op.attrs.get_bool("residual") || conv.op.attrs.get_string("format") != "NCHW")
      continue;
    bool weights_constant = true;
    for (size_t i = 1; i < conv.inputs.size(); ++i)
      weights_constant &= float_constant(g, conv.inputs[i]);
    if (weights_constant) out.push_back({y.producer, n});
  }
  return out;
}

void fold(Graph& g, const Match& m, NameSet& names) {
  const Node conv = g.nodes()[m.conv], bn = g.nodes()[m.bn];
  const Tensor w = constant_data(g, conv.inputs[1]);
  const Tensor gamma = constant_data(g, bn.inputs[1]), beta = constant_data(g, bn.inputs[2]);
  const Tensor mean = constant_data(g, bn.inputs[3]), var = constant_data(g, bn.inputs[4]);
  const bool has_bias = conv.inputs.size() == 3;
  const Tensor b = has_bias ? constant_data(g, conv.inputs[2]) : Tensor();
  const double eps = bn.op.attrs.get_float("eps");
  const int64_t channels = w.shape()[0], per_channel = w.numel() / std::max<int64_t>(channels, 1);
  Tensor w2 = Tensor::empty(w.meta()), b2 = Tensor::empty({channels}, DType::kFloat32);
  for (int64_t o = 0; o < channels; ++o) {
    const double s = gamma.data<float>()[o] / std::sqrt(double{var.data<float>()[o]} + eps);
    for (int64_t i = o * per_channel; i < (o + 1) * per_channel; ++i)
      w2.data<float>()[i] = static_cast<float>(w.data<float>()[i] * s);
    const double bias = has_bias ? b.data<float>()[o] : 0.0;
    b2.data<float>()[o] =
        static_cast<float>((bias - mean.data<float>()[o]) * s + beta.data<float>()[o]);
  }
  const std::string base = g.value(conv.inputs[1]).name;  // a copy: add_constant grows the table
  const ValueId w_id =
      g.add_constant(names.make(base.empty() ? "conv_bn_weight" : base + "_bn"), std::move(w2));
  const ValueId b_id =
      g.add_constant(names.make(base.empty() ? "conv_bn_bias" : base + "_bn_bias"), std::move(b2));
  g.mutable_nodes()[m.conv].inputs = {conv.inputs[0], w_id, b_id};
  replace_uses(g, bn.outputs[0], conv.outputs[0]);
}

}  // namespace

bool ConvBatchNormFolding::run(Graph& g) {
  const std::vector<Match> matches = find_matches(g);
  if (matches.empty()) return false;
  NameSet names(g);
  std::vector<bool> erase(g.nodes().size(), false);
  for (const Match& m : matches) {
    fold(g, m, names);
    erase[m.bn] = true;
  }
  erase_nodes(g, erase);
  return true;
}

}  // namespace graph
}  // namespace kiln
