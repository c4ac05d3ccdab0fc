// The parts of kiln._C, one function per file.
#pragma once

#include <pybind11/pybind11.h>

namespace kiln {
namespace python {

void bind_tensor(pybind11::module_& m);
void bind_ops(pybind11::module_& m);
void bind_autograd(pybind11::module_& m);
void bind_runtime_info(pybind11::module_& m);
void bind_jit(pybind11::module_& m);
void bind_runtime(pybind11::module_& m);

}  // namespace python
}  // namespace kiln
