#include "graph/shape_inference.h"

#include "kernels/core/error.h"

namespace kiln {
namespace graph {

std::vector<int64_t> declared_shape(const Value& input) {
  std::vector<int64_t> out = input.meta.shape.vec();
  for (size_t d = 0; d < out.size(); ++d)
    if (input.dynamic_dims >> d & 1u) out[d] = -1;
  return out;
}

std::string declared_str(const Value& input) {
  const std::vector<int64_t> shape = declared_shape(input);
  std::string out = str_cat(dtype_name(input.meta.dtype), "(");
  for (size_t d = 0; d < shape.size(); ++d)
    out += str_cat(d ? ", " : "", shape[d] < 0 ? std::string("?") : std::to_string(shape[d]));
  return out + (shape.size() == 1 ? ",)" : ")");
}

void check_input_meta(const Value& input, const TensorMeta& given) {
  KILN_CHECK(given.dtype == input.meta.dtype, kType, "input '", input.name, "' has dtype ",
             dtype_name(given.dtype), "; expected ", declared_str(input));
  const Shape& want = input.meta.shape;
  bool ok = given.shape.rank() == want.rank();
  for (int d = 0; ok && d < want.rank(); ++d)
    ok = (input.dynamic_dims >> d & 1u) ? given.shape[d] >= 0 : given.shape[d] == want[d];
  KILN_CHECK(ok, kValue, "input '", input.name, "' has shape ", given.shape.str(), "; expected ",
             declared_str(input), given.shape.rank() != want.rank() ? " (another rank)" : "",
             input.dynamic_dims ? " where ? may be any size" : "");
}

namespace {
std::string input_shapes(const Graph& g, const Node& node) {
  std::string out;
  for (ValueId v : node.inputs)
    out += str_cat(out.empty() ? "" : ", ", "%", v, " ", g.value(v).meta.str());
  return out;
}
}  // namespace

Graph infer_shapes(const Graph& g, const std::vector<TensorMeta>& inputs) {
  KILN_CHECK(inputs.size() == g.inputs().size(), kValue, "got ", inputs.size(),
             " input shapes; the graph has ", g.inputs().size(), " inputs");
  Graph out = g;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ValueId id = g.inputs()[i];
    check_input_meta(g.value(id), inputs[i]);
    out.mutable_value(id).meta = inputs[i];
  }
  for (size_t n = 0; n < out.nodes().size(); ++n) {
    const Node& node = out.nodes()[n];
    std::vector<TensorMeta> metas;
    for (ValueId v : node.inputs) metas.push_back(out.value(v).meta);
    std::vector<TensorMeta> result;
    try {
      result = node.op.def->infer_outputs(node.op.attrs, metas);
    } catch (const Error& e) {
      throw_error(e.kind(), "node ", n, " (", node.op.name(), ") rejects its inputs ",
                  input_shapes(out, node), " at this input signature: ", e.what());
    }
    for (size_t i = 0; i < result.size(); ++i) out.mutable_value(node.outputs[i]).meta = result[i];
  }
  for (const auto& [state, value] : out.state_updates()) {
    KILN_CHECK(out.value(value).meta == out.value(state).meta, kValue, "state '",
               out.value(state).name, "' is ", out.value(state).meta.str(),
               " but at this input signature its update is ", out.value(value).meta.str());
  }
  return out;
}

bool has_dynamic_inputs(const Graph& g) {
  for (ValueId v : g.inputs())
    if (g.value(v).dynamic_dims != 0) return true;
  return false;
}

std::vector<TensorMeta> varied_input_metas(const Graph& g, int variant) {
  std::vector<TensorMeta> metas;
  for (ValueId v : g.inputs()) {
    TensorMeta m = g.value(v).meta;
    for (int d = 0; d < m.shape.rank(); ++d)
      if (g.value(v).dynamic_dims >> d & 1u)
        m.shape[d] = variant == 1 ? m.shape[d] + 1 : 2 * m.shape[d] + 3;
    metas.push_back(m);
  }
  return metas;
}

}  // namespace graph
}  // namespace kiln
