#include "python/src/convert.h"

#include <cstring>

#include <pybind11/stl.h>

#include "kernels/core/error.h"

namespace kiln {
namespace python {
namespace {

py::module_& numpy() {
  static py::module_* np = new py::module_(py::module_::import("numpy"));
  return *np;
}

// Maps a numpy array's dtype to kiln's; `cast_to` gets the dtype the data
// must be converted to first (float64 -> float32, int64 -> int32).
bool kiln_dtype_of(const py::dtype& dt, DType* out) {
  const char kind = dt.kind();
  const ssize_t size = dt.itemsize();
  if (kind == 'f' && size == 4) *out = DType::kFloat32;
  else if (kind == 'f' && size == 2) *out = DType::kFloat16;
  else if (kind == 'f' && size == 8) *out = DType::kFloat32;
  else if (kind == 'i' && size == 4) *out = DType::kInt32;
  else if (kind == 'i' && size == 8) *out = DType::kInt32;
  else if (kind == 'i' && size == 2) *out = DType::kInt32;
  else if (kind == 'i' && size == 1) *out = DType::kInt8;
  else if (kind == 'u' && size == 1) *out = DType::kUInt8;
  else if (kind == 'u' && (size == 2 || size == 4)) *out = DType::kInt32;
  else if (kind == 'b') *out = DType::kBool;
  else return false;
  return true;
}

}  // namespace

py::object numpy_dtype(DType dtype) {
  static py::object cache[kNumDTypes];
  py::object& slot = cache[static_cast<int>(dtype)];
  if (!slot) slot = numpy().attr("dtype")(dtype_name(dtype));
  return slot;
}

DType dtype_from_py(py::handle obj) {
  if (py::isinstance<py::str>(obj)) return dtype_from_name(obj.cast<std::string>());
  py::dtype dt = py::dtype::from_args(py::reinterpret_borrow<py::object>(obj));
  DType out;
  KILN_CHECK(kiln_dtype_of(dt, &out) && dt.itemsize() == static_cast<ssize_t>(dtype_size(out)),
             kType, "unsupported dtype ", py::str(obj).cast<std::string>(),
             ": expected float32, float16, int32, int8, uint8 or bool");
  return out;
}

Tensor tensor_from_py(py::handle data, const DType* dtype) {
  py::array arr = py::array::ensure(data);
  KILN_CHECK(arr, kType, "cannot make a tensor from ", py::str(py::type::of(data)).cast<std::string>());
  DType natural;
  KILN_CHECK(kiln_dtype_of(arr.dtype(), &natural), kType, "cannot make a tensor from numpy dtype ",
             py::str(arr.dtype()).cast<std::string>(),
             ": expected a float, integer or bool array");
  const DType want = dtype ? *dtype : natural;
  if (arr.dtype().not_equal(numpy_dtype(want)) || !(arr.flags() & py::array::c_style)) {
    // np.array, not np.ascontiguousarray: the latter turns 0-d arrays
    // (Python scalars) into shape (1,).
    arr = numpy().attr("array")(arr, numpy_dtype(want), py::arg("order") = "C");
  }
  Shape shape;
  for (ssize_t i = 0; i < arr.ndim(); ++i) shape.push_back(arr.shape(i));
  // Share the array's memory; the storage keeps the array alive.
  auto* keep = new py::object(arr);
  std::shared_ptr<void> owner(keep, [](void* p) {
    py::gil_scoped_acquire gil;
    delete static_cast<py::object*>(p);
  });
  auto storage = Storage::borrow(const_cast<void*>(arr.data()), arr.nbytes(), std::move(owner));
  return Tensor(std::move(storage), want, shape, contiguous_strides(shape), 0);
}

py::array tensor_to_numpy(const Tensor& t) {
  std::vector<ssize_t> shape(t.shape().begin(), t.shape().end());
  std::vector<ssize_t> strides;
  const ssize_t item = static_cast<ssize_t>(dtype_size(t.dtype()));
  for (int64_t s : t.strides()) strides.push_back(s * item);
  auto* keep = new std::shared_ptr<Storage>(t.storage());
  py::capsule base(keep, [](void* p) { delete static_cast<std::shared_ptr<Storage>*>(p); });
  py::array arr(py::dtype::from_args(numpy_dtype(t.dtype())), shape, strides, t.raw_data(), base);
  py::detail::array_proxy(arr.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return arr;
}

Tensor scalar_tensor(double value, DType dtype) {
  Tensor t = Tensor::empty(Shape{}, dtype);
  dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, Half>) {
      *t.data<T>() = Half(static_cast<float>(value));
    } else {
      *t.data<T>() = static_cast<T>(value);
    }
  });
  return t;
}

Attrs attrs_from_kwargs(const OpDef& op, const py::dict& kwargs) {
  Attrs attrs;
  for (auto item : kwargs) {
    const std::string name = item.first.cast<std::string>();
    const AttrSpec* spec = nullptr;
    for (const auto& s : op.attrs)
      if (s.name == name) spec = &s;
    KILN_CHECK(spec != nullptr, kValue, op.name, ": unknown attribute '", name, "'");
    py::handle v = item.second;
    try {
      switch (spec->type) {
        case AttrType::kInt: attrs.set(name, v.cast<int64_t>()); break;
        case AttrType::kFloat: attrs.set(name, v.cast<double>()); break;
        case AttrType::kBool: attrs.set(name, v.cast<bool>()); break;
        case AttrType::kString: attrs.set(name, v.cast<std::string>()); break;
        case AttrType::kInts: attrs.set(name, v.cast<std::vector<int64_t>>()); break;
        case AttrType::kFloats: attrs.set(name, v.cast<std::vector<double>>()); break;
      }
    } catch (const py::cast_error&) {
      throw_error(ErrorKind::kType, op.name, ": attribute '", name, "' got ",
                  py::repr(v).cast<std::string>(), "; expected ", attr_type_name(spec->type));
    }
  }
  return attrs;
}

py::object attr_to_py(const AttrValue& value) {
  return std::visit([](const auto& x) -> py::object { return py::cast(x); }, value);
}

}  // namespace python
}  // namespace kiln
