#include "graph/passes/bias_activation_fusion.h"

#include <cmath>
#include <optional>

#include "graph/rewrite.h"

namespace kiln {
namespace graph {
namespace {

// The axis a producer's bias runs along: conv2d's channels (axis 1 in NCHW,
// the last in NHWC), matmul's columns.
int bias_axis(const Node& producer, const TensorMeta& out) {
  const bool nchw_conv =
      producer.op.name() == "conv2d" && producer.op.attrs.get_string("format") == "NCHW";
  return nchw_conv ? 1 : out.shape.rank() - 1;
}

// A relu fuses after a conv's residual sum too; a bias add into one with a
// residual is left alone (the bias input sits before the residual).
bool fusable_producer(const Graph& g, const Uses& uses, ValueId y, int reader, bool bias) {
  const Value& v = g.value(y);
  if (v.kind != ValueKind::kIntermediate || !uses.only_used_by(y, reader)) return false;
  const Node& p = g.nodes()[v.producer];
  if (bias && p.op.attrs.has("residual") && p.op.attrs.get_bool("residual")) return false;
  return (p.op.name() == "conv2d" || p.op.name() == "matmul") && !p.op.attrs.get_bool("relu");
}

// c varies along `axis` of y only (after numpy right-alignment), or not at all.
bool per_axis_constant(const Graph& g, ValueId c, const Shape& y, int axis) {
  if (!is_constant(g, c) || g.value(c).meta.dtype != DType::kFloat32) return false;
  const Shape& s = g.value(c).meta.shape;
  if (s.rank() > y.rank()) return false;
  for (int i = 0; i < s.rank(); ++i) {
    const int d = i + y.rank() - s.rank();
    if (d != axis && s[i] != 1) return false;
  }
  return true;
}

// The value of a float32 constant with one element (any rank).
std::optional<float> single_value(const Graph& g, ValueId c) {
  if (!is_constant(g, c) || g.value(c).meta.dtype != DType::kFloat32 ||
      g.value(c).meta.shape.numel() != 1)
    return std::nullopt;
  return constant_data(g, c).data<float>()[0];
}

// The non-constant side y of a binary node whose other side is a single
// float constant, when the result keeps y's meta; -1 otherwise.
ValueId scalar_operand_side(const Graph& g, const Node& node, std::optional<float>* value) {
  for (int side = 0; side < 2; ++side) {
    const ValueId y = node.inputs[side];
    *value = single_value(g, node.inputs[1 - side]);
    if (*value && g.value(node.outputs[0]).meta == g.value(y).meta) return y;
  }
  return -1;
}

struct Match {
  int producer, node;   // node: the add, the relu (or maximum with 0) or the minimum
  ValueId bias = -1;    // the add's constant
  double relu_max = 0;  // the minimum's bound, > 0
};

std::vector<Match> find_matches(const Graph& g) {
  const Uses uses(g);
  std::vector<Match> out;
  const auto& nodes = g.nodes();
  for (int n = 0; n < static_cast<int>(nodes.size()); ++n) {
    const Node& node = nodes[n];
    if (node.op.name() == "relu") {
      if (fusable_producer(g, uses, node.inputs[0], n, /*bias=*/false))
        out.push_back({g.value(node.inputs[0]).producer, n});
      continue;
    }
    std::optional<float> value;
    if (node.op.name() == "maximum") {  // maximum(y, 0) is relu(y)
      const ValueId y = scalar_operand_side(g, node, &value);
      if (y >= 0 && *value == 0.0f && fusable_producer(g, uses, y, n, /*bias=*/false))
        out.push_back({g.value(y).producer, n});
      continue;
    }
    if (node.op.name() == "minimum") {  // caps a fused relu: ReLU6
      const ValueId y = scalar_operand_side(g, node, &value);
      if (y < 0 || !(*value > 0.0f) || g.value(y).kind != ValueKind::kIntermediate ||
          !uses.only_used_by(y, n))
        continue;
      const Node& p = nodes[g.value(y).producer];
      if (p.op.name() == "conv2d" && p.op.attrs.get_bool("relu") &&
          std::isinf(p.op.attrs.get_float("relu_max")))
        out.push_back({g.value(y).producer, n, -1, *value});
      continue;
    }
    if (node.op.name() != "add") continue;
    for (int side = 0; side < 2; ++side) {
      const ValueId y = node.inputs[side], c = node.inputs[1 - side];
      if (!fusable_producer(g, uses, y, n, /*bias=*/true)) continue;
      const TensorMeta& ym = g.value(y).meta;
      const Node& p = nodes[g.value(y).producer];
      if (g.value(node.outputs[0]).meta != ym) continue;
      if (!per_axis_constant(g, c, ym.shape, bias_axis(p, ym))) continue;
      if (p.inputs.size() == 3 && !is_constant(g, p.inputs[2])) continue;
      out.push_back({g.value(y).producer, n, c});
      break;
    }
  }
  return out;
}

void apply(Graph& g, const Match& m, NameSet& names) {
  const Node p = g.nodes()[m.producer], node = g.nodes()[m.node];
  const ValueId y = p.outputs[0];
  if (m.relu_max > 0) {
    Attrs attrs = p.op.attrs;
    attrs.set("relu_max", m.relu_max);
    g.mutable_nodes()[m.producer].op = OpCall(*p.op.def, attrs);
  } else if (m.bias < 0) {  // relu
    Attrs attrs = p.op.attrs;
    attrs.set("relu", true);
    g.mutable_nodes()[m.producer].op = OpCall(*p.op.def, attrs);
  } else {
    const TensorMeta ym = g.value(y).meta;  // a copy: add_constant grows the table
    const int64_t channels = ym.shape[bias_axis(p, ym)];
    const Tensor c = constant_data(g, m.bias);
    const bool has_bias = p.inputs.size() == 3;
    const Tensor old = has_bias ? constant_data(g, p.inputs[2]) : Tensor();
    Tensor bias = Tensor::empty({channels}, DType::kFloat32);
    for (int64_t i = 0; i < channels; ++i)
      bias.data<float>()[i] =
          (has_bias ? old.data<float>()[i] : 0.0f) + c.data<float>()[c.numel() == 1 ? 0 : i];
    const ValueId b = g.add_constant(names.make(p.op.name() + "_fused_bias"), std::move(bias));
    g.mutable_nodes()[m.producer].inputs = {p.inputs[0], p.inputs[1], b};
  }
  replace_uses(g, node.outputs[0], y);
}

}  // namespace

bool BiasActivationFusion::run(Graph& g) {
  bool changed = false;
  // Each round's matches touch disjoint nodes (a producer's output has one
  // reader); a chain's next link matches in the next round.
  for (std::vector<Match> matches = find_matches(g); !matches.empty(); matches = find_matches(g)) {
    NameSet names(g);
    std::vector<bool> erase(g.nodes().size(), false);
    for (const Match& m : matches) {
      apply(g, m, names);
      erase[m.node] = true;
    }
    erase_nodes(g, erase);
    changed = true;
  }
  return changed;
}

}  // namespace graph
}  // namespace kiln
