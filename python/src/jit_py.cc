// kiln._C.Tracer and kiln._C.Graph: the C++ half of kiln.jit.trace.
#include <pybind11/stl.h>

#include <unordered_set>

#include "graph/executor.h"
#include "graph/graph.h"
#include "graph/pass_manager.h"
#include "kernels/core/error.h"
#include "imperative/tracer.h"
#include "python/src/bindings.h"
#include "python/src/convert.h"

namespace kiln {
namespace python {
namespace {

using imperative::HandleList;
using imperative::HandlePtr;

// A traced function's graph, optimized with the training-safe passes and
// compiled for the signature it was traced at; run() is a replay.
class TracedExecutable {
 public:
  explicit TracedExecutable(const graph::Graph& traced) : graph_(traced) {
    graph::optimize_for_training(graph_);
    std::vector<TensorMeta> metas;
    for (graph::ValueId id : graph_.inputs()) metas.push_back(graph_.value(id).meta);
    executable_ = std::make_unique<graph::Executable>(graph_, metas);
  }

  // Replays on `args` (graph.inputs() order) and the current values of
  // `states` (graph.states() order), whose updates are written in place.
  HandleList run(const HandleList& args, const HandleList& states) {
    std::vector<Tensor> inputs;
    for (const HandlePtr& h : args) inputs.push_back(h->value().contiguous());
    KILN_CHECK(states.size() == executable_->state_metas().size(), kRuntime,
               "trace: replay got ", states.size(), " states; the graph has ",
               executable_->state_metas().size());
    std::vector<Tensor> state_values;
    std::unordered_set<const Storage*> seen;
    for (size_t i = 0; i < states.size(); ++i) {
      const Tensor& v = states[i]->value();
      KILN_CHECK(v.meta() == executable_->state_metas()[i], kValue,
                 "trace: a tensor the traced function reads (state ", i, ") is now ",
                 v.meta().str(), " but was ", executable_->state_metas()[i].str(),
                 " when traced; trace the function again");
      // Updates are written in place: each state needs packed memory of its
      // own that kiln owns (not a numpy array's, not shared with another state).
      if (!v.is_contiguous() || v.storage()->is_borrowed() || !seen.insert(v.storage().get()).second) {
        states[i]->reset_value(v.clone());
        seen.insert(states[i]->value().storage().get());
      }
      state_values.push_back(states[i]->value());
    }
    std::vector<Tensor> outputs = executable_->allocate_outputs();
    executable_->run(inputs, state_values, outputs);
    HandleList out;
    for (Tensor& t : outputs) out.push_back(imperative::make_handle(std::move(t)));
    return out;
  }

  const graph::Graph& graph() const { return graph_; }

 private:
  graph::Graph graph_;
  std::unique_ptr<graph::Executable> executable_;
};

}  // namespace

void bind_jit(py::module_& m) {
  using imperative::Tracer;
  using imperative::TensorHandle;
  py::class_<graph::Graph, std::shared_ptr<graph::Graph>>(m, "Graph")
      .def("__str__", &graph::Graph::str)
      .def_property_readonly("num_nodes", [](const graph::Graph& g) { return g.nodes().size(); })
      .def_property_readonly("num_states", [](const graph::Graph& g) { return g.states().size(); })
      .def_property_readonly("num_state_updates",
                             [](const graph::Graph& g) { return g.state_updates().size(); })
      .def("op_names", [](const graph::Graph& g) {
        std::vector<std::string> names;
        for (const auto& n : g.nodes()) names.push_back(n.op.name());
        return names;
      });

  py::class_<Tracer>(m, "Tracer")
      .def(py::init<bool, bool>(), py::arg("symbolic"), py::arg("capture_as_const"))
      .def("begin", &Tracer::begin)
      .def("add_argument", &Tracer::add_argument, py::arg("tensor"), py::arg("name"),
           py::arg("dynamic_dims") = 0)
      .def("add_output", &Tracer::add_output)
      .def("finish", [](Tracer& t) { return std::make_shared<graph::Graph>(t.finish()); })
      .def("abort", &Tracer::abort)
      .def_property_readonly("state_handles", &Tracer::state_handles)
      .def_property_readonly("writes_constants", &Tracer::writes_constants);

  py::class_<TracedExecutable>(m, "Executable")
      .def(py::init([](const std::shared_ptr<graph::Graph>& g) {
        return std::make_unique<TracedExecutable>(*g);
      }))
      .def("run", &TracedExecutable::run)
      .def_property_readonly("graph", [](const TracedExecutable& e) {
        return std::make_shared<graph::Graph>(e.graph());
      });

  // True while `tensor` belongs to the trace being recorded: reading its value
  // into Python would bake a data-dependent choice into the graph.
  m.def("is_traced", [](const TensorHandle& h) {
    const Tracer* t = imperative::active_tracer();
    return t != nullptr && t->is_traced(h);
  });
  m.def("is_tracing", [] { return imperative::active_tracer() != nullptr; });
  m.def("has_value", [](const TensorHandle& h) { return h.value().defined(); });
}

}  // namespace python
}  // namespace kiln
