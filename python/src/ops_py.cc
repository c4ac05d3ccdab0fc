// kiln._C.Op and kiln._C.apply: the generic path from kiln.functional into
// imperative::apply. Python caches Op objects, so attributes are converted
// and checked once per distinct call site, not once per call.
#include <pybind11/stl.h>

#include "imperative/dispatch.h"
#include "imperative/eager.h"
#include "kernels/core/error.h"
#include "python/src/bindings.h"
#include "python/src/convert.h"

namespace kiln {
namespace python {
namespace {

using imperative::HandleList;
using imperative::TensorHandle;

py::object outputs_to_py(HandleList&& outs) {
  if (outs.size() == 1) return py::cast(std::move(outs[0]));
  py::tuple t(outs.size());
  for (size_t i = 0; i < outs.size(); ++i) t[i] = py::cast(std::move(outs[i]));
  return t;
}

HandleList inputs_from_args(const OpCall& op, const py::args& args) {
  HandleList inputs;
  inputs.reserve(args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    py::handle a = args[i];
    KILN_CHECK(py::isinstance<TensorHandle>(a), kType, op.name(), ": input ", i, " is a ",
               py::str(py::type::of(a)).cast<std::string>(), "; expected a kiln Tensor");
    inputs.push_back(a.cast<HandlePtr>());
  }
  return inputs;
}

}  // namespace

void bind_ops(py::module_& m) {
  py::class_<OpCall>(m, "Op")
      .def(py::init([](const std::string& name, py::kwargs kwargs) {
             const OpDef& def = get_op(name);
             return OpCall(def, attrs_from_kwargs(def, kwargs));
           }),
           py::arg("name"))
      .def_property_readonly("name", [](const OpCall& op) { return op.name(); })
      .def_property_readonly("attrs", [](const OpCall& op) {
        py::dict d;
        for (const auto& [k, v] : op.attrs.entries()) d[py::str(k)] = attr_to_py(v);
        return d;
      })
      .def("__repr__", [](const OpCall& op) { return "Op(" + op.name() + ", " + op.attrs.str() + ")"; });

  // apply(op, *tensors) -> Tensor or tuple of Tensors
  m.def("apply", [](const OpCall& op, py::args args) {
    return outputs_to_py(imperative::apply(op, inputs_from_args(op, args)));
  });

  m.def("op_names", [] {
    std::vector<std::string> names;
    for (const OpDef* d : op_table().all()) names.push_back(d->name);
    return names;
  });
  m.def("op_info", [](const std::string& name) {
    const OpDef& d = get_op(name);
    py::dict info;
    info["name"] = d.name;
    info["version"] = d.version;
    info["num_inputs"] = d.num_inputs;
    info["num_outputs"] = d.num_outputs;
    info["differentiable"] = d.differentiable();
    py::list attrs;
    for (const auto& s : d.attrs)
      attrs.append(py::make_tuple(s.name, attr_type_name(s.type),
                                  s.default_value ? attr_to_py(*s.default_value) : py::none()));
    info["attrs"] = attrs;
    return info;
  });
  // Runs an op on the reference backend: the oracle for Python tests.
  m.def("apply_reference", [](const OpCall& op, py::args args) {
    std::vector<Tensor> values;
    std::vector<TensorMeta> metas;
    for (const auto& h : inputs_from_args(op, args)) {
      values.push_back(h->value().contiguous());
      metas.push_back(values.back().meta());
    }
    const auto out_metas = op.def->infer_outputs(op.attrs, metas);
    std::vector<Tensor> outs;
    for (const auto& meta : out_metas) outs.push_back(Tensor::empty(meta));
    op.def->prepare(Backend::kReference, op.attrs, metas, out_metas)->run(values.data(), outs.data());
    HandleList handles;
    for (auto& t : outs) handles.push_back(imperative::make_handle(std::move(t)));
    return outputs_to_py(std::move(handles));
  });
  m.def("clear_kernel_cache", &imperative::clear_kernel_cache);
  m.def("kernel_cache_size", &imperative::kernel_cache_size);
}

}  // namespace python
}  // namespace kiln
