// Conversions between Python objects and kiln values: numpy arrays (shared,
// not copied, where the layout allows), Python scalars, dtypes and attrs.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "imperative/tensor_handle.h"
#include "kernels/op_def.h"

namespace kiln {
namespace python {

namespace py = pybind11;
using imperative::HandlePtr;

// numpy dtype object for a kiln dtype (cached).
py::object numpy_dtype(DType dtype);
// Accepts a numpy dtype, a type such as np.float32 or "float32", or a kiln dtype name.
DType dtype_from_py(py::handle obj);

// Builds a tensor from a numpy array, nested list or scalar. float64 becomes
// float32 and int64 int32 unless `dtype` says otherwise (MegEngine's rules).
Tensor tensor_from_py(py::handle data, const DType* dtype);
// A read-only numpy view of the tensor's memory (no copy).
py::array tensor_to_numpy(const Tensor& t);
Tensor scalar_tensor(double value, DType dtype);

// Converts a Python value to the attribute type the op's schema declares.
Attrs attrs_from_kwargs(const OpDef& op, const py::dict& kwargs);
py::object attr_to_py(const AttrValue& value);

}  // namespace python
}  // namespace kiln
