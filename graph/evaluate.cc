#include "graph/evaluate.h"

#include "kernels/core/error.h"

namespace kiln {
namespace graph {

std::vector<Tensor> evaluate_op(const OpCall& op, const std::vector<Tensor>& inputs,
                                Backend backend) {
  std::vector<TensorMeta> in_metas;
  std::vector<Tensor> packed;
  for (const Tensor& t : inputs) {
    in_metas.push_back(t.meta());
    packed.push_back(op.def->accepts_strided_inputs ? t : t.contiguous());
  }
  const std::vector<TensorMeta> out_metas = op.def->infer_outputs(op.attrs, in_metas);
  std::vector<Tensor> outputs;
  for (const TensorMeta& m : out_metas) outputs.push_back(Tensor::empty(m));
  auto kernel = op.def->prepare(backend, op.attrs, in_metas, out_metas);
  kernel->run(packed.data(), outputs.data());
  return outputs;
}

Interpretation interpret(const Graph& g, const std::vector<Tensor>& inputs, Backend backend) {
  KILN_CHECK(inputs.size() == g.inputs().size(), kValue, "interpret: got ", inputs.size(),
             " inputs; the graph has ", g.inputs().size());
  std::vector<Tensor> values(g.num_values());
  for (size_t i = 0; i < inputs.size(); ++i) values[g.inputs()[i]] = inputs[i];
  for (const auto& [id, t] : g.tensors()) values[id] = t;
  for (const Node& node : g.nodes()) {
    std::vector<Tensor> in;
    for (ValueId v : node.inputs) in.push_back(values[v]);
    std::vector<Tensor> out = evaluate_op(node.op, in, backend);
    for (size_t i = 0; i < out.size(); ++i) values[node.outputs[i]] = std::move(out[i]);
  }
  Interpretation result;
  for (const NamedValue& o : g.outputs()) result.outputs.push_back(values[o.value]);
  for (ValueId s : g.states()) {
    auto it = g.state_updates().find(s);
    result.states.push_back(values[it == g.state_updates().end() ? s : it->second]);
  }
  return result;
}

}  // namespace graph
}  // namespace kiln
