// kiln._C: the pybind11 module. Errors cross as Python's own classes.
#include <omp.h>

#include "kernels/core/allocator.h"
#include "kernels/core/error.h"
#include "python/src/bindings.h"

namespace kiln {
namespace python {

void bind_runtime_info(pybind11::module_& m) {
  m.def("set_num_threads", [](int n) {
    KILN_CHECK(n >= 1, kValue, "set_num_threads: got ", n, "; expected n >= 1");
    omp_set_num_threads(n);
  });
  m.def("get_num_threads", [] { return omp_get_max_threads(); });
  m.def("allocator_stats", [] {
    const AllocatorStats s = CpuAllocator::instance().stats();
    pybind11::dict d;
    d["allocated_bytes"] = s.allocated_bytes;
    d["cached_bytes"] = s.cached_bytes;
    d["peak_bytes"] = s.peak_bytes;
    d["system_allocs"] = s.system_allocs;
    return d;
  });
  m.def("empty_cache", [] { CpuAllocator::instance().empty_cache(); });
}

}  // namespace python
}  // namespace kiln

PYBIND11_MODULE(_C, m) {
  namespace py = pybind11;
  m.doc() = "kiln's C++ core";
  static py::exception<kiln::Error> format_error(m, "ModelFormatError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const kiln::Error& e) {
      switch (e.kind()) {
        case kiln::ErrorKind::kValue: PyErr_SetString(PyExc_ValueError, e.what()); return;
        case kiln::ErrorKind::kType: PyErr_SetString(PyExc_TypeError, e.what()); return;
        case kiln::ErrorKind::kIndex: PyErr_SetString(PyExc_IndexError, e.what()); return;
        case kiln::ErrorKind::kFormat: format_error(e.what()); return;
        case kiln::ErrorKind::kRuntime: PyErr_SetString(PyExc_RuntimeError, e.what()); return;
      }
    }
  });
  kiln::python::bind_tensor(m);
  kiln::python::bind_ops(m);
  kiln::python::bind_autograd(m);
  kiln::python::bind_runtime_info(m);
  kiln::python::bind_jit(m);
  kiln::python::bind_runtime(m);
}
