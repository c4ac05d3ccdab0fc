#include <pybind11/stl.h>

#include "imperative/autograd.h"
#include "imperative/grad_manager.h"
#include "python/src/bindings.h"
#include "python/src/convert.h"

namespace kiln {
namespace python {

void bind_autograd(py::module_& m) {
  using imperative::GradManager;
  using imperative::HandleList;
  py::class_<GradManager>(m, "GradManager")
      .def(py::init<>())
      .def("attach", &GradManager::attach)
      .def("record", &GradManager::record)
      .def("release", &GradManager::release)
      .def_property_readonly("recording", &GradManager::recording)
      .def("attached", &GradManager::attached)
      .def("backward", &GradManager::backward);
  m.def("is_recording", &imperative::is_recording);
}

}  // namespace python
}  // namespace kiln
