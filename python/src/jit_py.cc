// kiln._C.Tracer and kiln._C.Graph: the C++ half of kiln.jit.trace.
#include <pybind11/stl.h>

#include "graph/graph.h"
#include "imperative/tracer.h"
#include "python/src/bindings.h"
#include "python/src/convert.h"

namespace kiln {
namespace python {

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
      .def_property_readonly("state_handles", &Tracer::state_handles);

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
