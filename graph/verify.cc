#include <set>
#include <sstream>

#include "graph/graph.h"
#include "kernels/core/error.h"

namespace kiln {
namespace graph {
namespace {

// The node and its neighbours, for error messages.
std::string context(const Graph& g, int node) {
  std::istringstream lines(g.str());
  std::string line, out;
  int first_node_line = 0;  // str() lists the non-intermediate values first
  for (int i = 0; i < g.num_values(); ++i)
    first_node_line += g.value(i).kind != ValueKind::kIntermediate;
  for (int i = 0; std::getline(lines, line); ++i) {
    const int n = i - first_node_line;
    if (n >= node - 2 && n <= node + 2) out += (n == node ? "  > " : "    ") + line + "\n";
  }
  return out;
}

[[noreturn]] void fail(const Graph& g, int node, const std::string& what) {
  throw_error(ErrorKind::kValue, "invalid graph at node ", node, ": ", what, "\n",
              context(g, node));
}

}  // namespace

void verify(const Graph& g) {
  std::vector<bool> defined(g.num_values(), false);
  std::set<std::string> names;
  for (int i = 0; i < g.num_values(); ++i) {
    const Value& v = g.value(i);
    KILN_CHECK(v.id == i, kValue, "invalid graph: value ", i, " has id ", v.id);
    if (v.kind != ValueKind::kIntermediate) {
      defined[i] = true;
      if (v.kind != ValueKind::kInput)
        KILN_CHECK(g.tensors().count(i) && g.tensor(i).meta() == v.meta, kValue,
                   "invalid graph: ", value_kind_name(v.kind), " '", v.name,
                   "' has no tensor of meta ", v.meta.str());
    }
    if (!v.name.empty())
      KILN_CHECK(names.insert(v.name).second, kValue, "invalid graph: name '", v.name,
                 "' is used twice");
  }
  const auto& nodes = g.nodes();
  for (int n = 0; n < static_cast<int>(nodes.size()); ++n) {
    const Node& node = nodes[n];
    std::vector<TensorMeta> metas;
    for (ValueId in : node.inputs) {
      if (in < 0 || in >= g.num_values()) fail(g, n, str_cat("input id ", in, " out of range"));
      if (!defined[in]) fail(g, n, str_cat("input %", in, " is used before it is defined"));
      metas.push_back(g.value(in).meta);
    }
    std::vector<TensorMeta> want;
    try {
      want = node.op.def->infer_outputs(node.op.attrs, metas);
    } catch (const Error& e) {
      fail(g, n, e.what());
    }
    if (want.size() != node.outputs.size())
      fail(g, n, str_cat(node.op.name(), " has ", node.outputs.size(), " outputs; expected ",
                         want.size()));
    for (size_t i = 0; i < want.size(); ++i) {
      const ValueId out = node.outputs[i];
      if (out < 0 || out >= g.num_values()) fail(g, n, str_cat("output id ", out, " out of range"));
      if (defined[out]) fail(g, n, str_cat("value %", out, " is defined twice"));
      if (g.value(out).meta != want[i])
        fail(g, n, str_cat("output %", out, " is ", g.value(out).meta.str(), " but ",
                           node.op.name(), " infers ", want[i].str()));
      defined[out] = true;
    }
  }
  for (const auto& o : g.outputs())
    KILN_CHECK(o.value >= 0 && o.value < g.num_values() && defined[o.value], kValue,
               "invalid graph: output '", o.name, "' refers to an undefined value");
  for (const auto& [state, update] : g.state_updates())
    KILN_CHECK(update >= 0 && update < g.num_values() && defined[update], kValue,
               "invalid graph: the update of state %", state, " is undefined");
}

}  // namespace graph
}  // namespace kiln
