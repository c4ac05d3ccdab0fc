// kiln._C.RuntimeModel (kiln.runtime.Model's core) and kiln._C.dump_model:
// the same C++ runtime and model files as kiln-run.
#include <mutex>

#include <pybind11/stl.h>

#include "graph/pass_manager.h"
#include "graph/runtime.h"
#include "kernels/core/error.h"
#include "python/src/bindings.h"
#include "python/src/convert.h"
#include "serialization/model_file.h"

namespace kiln {
namespace python {
namespace {

py::list specs_to_py(const std::vector<TensorSpec>& specs) {
  py::list out;
  for (const TensorSpec& s : specs) {
    py::list shape;
    for (int64_t d : s.shape) shape.append(d < 0 ? py::object(py::none()) : py::object(py::int_(d)));
    out.append(py::make_tuple(s.name, numpy_dtype(s.dtype), py::tuple(shape)));
  }
  return out;
}

// One model with one session: calls are serialised (a Session runs one
// request at a time); outputs are copied out, since a session reuses them.
class RuntimeModel {
 public:
  explicit RuntimeModel(Model model) : model_(std::move(model)), session_(model_) {}

  py::dict run(const std::vector<std::pair<std::string, py::handle>>& inputs) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Tensor> keep;  // inputs stay alive (and unchanged) during the run
    for (const auto& [name, value] : inputs) {
      keep.push_back(tensor_from_py(value, nullptr).contiguous());
      session_.set_input(name, keep.back());
    }
    session_.run();
    py::dict out;
    for (const TensorSpec& spec : model_.outputs())
      out[py::str(spec.name)] = tensor_to_numpy(session_.output(spec.name).clone());
    return out;
  }
  const Model& model() const { return model_; }
  size_t peak_arena_bytes() const { return session_.peak_arena_bytes(); }

 private:
  Model model_;
  Session session_;
  std::mutex mutex_;
};

}  // namespace

void bind_runtime(py::module_& m) {
  py::class_<RuntimeModel>(m, "RuntimeModel")
      .def(py::init([](py::handle source) {
        if (py::isinstance<py::bytes>(source)) {
          const std::string bytes = source.cast<std::string>();
          return std::make_unique<RuntimeModel>(Model::load_bytes(bytes.data(), bytes.size()));
        }
        return std::make_unique<RuntimeModel>(Model::load(py::str(source).cast<std::string>()));
      }))
      .def_property_readonly("inputs", [](const RuntimeModel& r) { return specs_to_py(r.model().inputs()); })
      .def_property_readonly("outputs", [](const RuntimeModel& r) { return specs_to_py(r.model().outputs()); })
      .def_property_readonly("metadata", [](const RuntimeModel& r) { return r.model().metadata(); })
      .def_property_readonly("peak_arena_bytes", &RuntimeModel::peak_arena_bytes)
      .def_property_readonly("graph", [](const RuntimeModel& r) {
        return std::make_shared<graph::Graph>(r.model().graph());
      })
      .def("run", &RuntimeModel::run);

  // Writes a traced graph as a model file: inputs and outputs renamed,
  // batch (dim 0 of every input) dynamic, optionally optimized for inference.
  m.def("dump_model", [](const std::shared_ptr<graph::Graph>& traced, const std::string& path,
                         const std::vector<std::string>& arg_names,
                         const std::vector<std::string>& output_names, bool optimize,
                         const std::map<std::string, std::string>& metadata) {
    graph::Graph g = *traced;
    KILN_CHECK(g.state_updates().empty(), kValue,
               "dump: the traced function updates state (for example batch-norm running "
               "statistics in training mode); call model.eval() before tracing it for dumping");
    KILN_CHECK(g.states().empty(), kValue,
               "dump: the trace reads tensors as state; trace with capture_as_const=True to dump");
    KILN_CHECK(arg_names.size() == g.inputs().size(), kValue, "dump: got ", arg_names.size(),
               " arg_names for ", g.inputs().size(), " tensor arguments");
    KILN_CHECK(output_names.size() == g.outputs().size(), kValue, "dump: got ", output_names.size(),
               " output_names for ", g.outputs().size(), " outputs");
    for (size_t i = 0; i < arg_names.size(); ++i) {
      graph::Value& v = g.mutable_value(g.inputs()[i]);
      v.name = arg_names[i];
      if (v.meta.shape.rank() > 0) v.dynamic_dims |= 1u;
    }
    for (size_t i = 0; i < output_names.size(); ++i) g.mutable_outputs()[i].name = output_names[i];
    std::map<std::string, std::string> meta = metadata;
    if (optimize) {
      const graph::PassReport report = graph::optimize_for_inference(g);
      meta[serialization::kOptimizationKey] = "optimize_for_inference: " + report.str();
    } else {
      meta[serialization::kOptimizationKey] = "none";
    }
    serialization::write_model_file(path, g, meta);
  });
}

}  // namespace python
}  // namespace kiln
