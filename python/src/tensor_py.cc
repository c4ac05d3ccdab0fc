// kiln._C.Tensor: the eager tensor handle. Arithmetic operators are bound
// here, in C++, so `a + b` goes from Python to the kernel without a Python
// frame in between; the rest of the Tensor API is added in kiln/tensor.py.
#include "imperative/dispatch.h"
#include "kernels/core/error.h"
#include "python/src/bindings.h"
#include "python/src/convert.h"

namespace kiln {
namespace python {
namespace {

using imperative::HandleList;
using imperative::make_handle;
using imperative::TensorHandle;

int dtype_rank(DType d) {
  switch (d) {
    case DType::kBool: return 0;
    case DType::kUInt8: case DType::kInt8: return 1;
    case DType::kInt32: return 2;
    case DType::kFloat16: return 3;
    case DType::kFloat32: return 4;
  }
  return 4;
}

DType promote(DType a, DType b) {
  if (a == b) return a;
  if (dtype_rank(a) == 1 && dtype_rank(b) == 1) return DType::kInt32;  // int8 with uint8
  return dtype_rank(a) >= dtype_rank(b) ? a : b;
}

HandlePtr cast_to(const HandlePtr& h, DType dtype) {
  if (h->value().dtype() == dtype) return h;
  static const OpCall* casts[kNumDTypes] = {};
  const OpCall*& op = casts[static_cast<int>(dtype)];
  if (op == nullptr) op = new OpCall(OpCall::make("cast", {{"dtype", std::string(dtype_name(dtype))}}));
  return imperative::apply(*op, {h})[0];
}

enum class Family { kArith, kTrueDiv, kCompare, kLogical };

struct BinaryOp {
  const char* name;
  Family family;
  const OpCall& call() const {
    // One OpCall per operator, made on first use.
    if (cached == nullptr) cached = new OpCall(OpCall::make(name));
    return *cached;
  }
  mutable const OpCall* cached = nullptr;
};

// The dtype a Python scalar takes next to a tensor of dtype `like`: scalars
// are "weak" (numpy/PyTorch), so int keeps the tensor's integer or float
// dtype and float keeps a float one; both widen narrow dtypes to the ones
// kernels compute in (int32, float32).
DType scalar_dtype(py::handle obj, DType like) {
  if (py::isinstance<py::bool_>(obj)) return like;
  if (py::isinstance<py::int_>(obj)) return is_floating(like) ? DType::kFloat32 : DType::kInt32;
  return DType::kFloat32;
}

// Python operands become tensors; scalars are made directly in the dtype
// they take, with int32 range checks.
HandlePtr operand(const char* op, py::handle obj, DType like, DType* dtype) {
  if (py::isinstance<TensorHandle>(obj)) {
    HandlePtr h = obj.cast<HandlePtr>();
    *dtype = h->value().dtype();
    return h;
  }
  if (py::isinstance<py::bool_>(obj) || py::isinstance<py::int_>(obj) ||
      py::isinstance<py::float_>(obj)) {
    *dtype = scalar_dtype(obj, like);
    if (*dtype == DType::kInt32) {
      const auto v = obj.cast<long long>();
      KILN_CHECK(v >= INT32_MIN && v <= INT32_MAX, kValue, op, ": the integer ", v,
                 " does not fit in int32; expected -2**31 <= value < 2**31");
    }
    return make_handle(scalar_tensor(obj.cast<double>(), *dtype));
  }
  Tensor t = tensor_from_py(obj, nullptr);
  *dtype = t.dtype();
  return make_handle(std::move(t));
}

HandlePtr binary(const BinaryOp& op, const HandlePtr& self, py::handle other_obj, bool reflected) {
  DType self_dtype = self->value().dtype(), other_dtype;
  HandlePtr other = operand(op.name, other_obj, self_dtype, &other_dtype);
  DType dtype = promote(self_dtype, other_dtype);
  switch (op.family) {
    case Family::kArith:
      if (dtype == DType::kBool || dtype_rank(dtype) == 1 || dtype == DType::kFloat16)
        dtype = dtype == DType::kFloat16 ? DType::kFloat32 : DType::kInt32;
      break;
    case Family::kTrueDiv: dtype = DType::kFloat32; break;
    case Family::kCompare:
      if (dtype_rank(dtype) == 1) dtype = DType::kInt32;
      if (dtype == DType::kFloat16) dtype = DType::kFloat32;
      break;
    case Family::kLogical:
      KILN_CHECK(dtype == DType::kBool, kType, op.name, ": operands are ", dtype_name(self_dtype),
                 " and ", dtype_name(other_dtype), "; expected bool tensors");
      break;
  }
  HandlePtr a = cast_to(self, dtype), b = cast_to(other, dtype);
  if (reflected) std::swap(a, b);
  return imperative::apply(op.call(), {a, b})[0];
}

// -x and abs(x) compute in float32 or int32, as the kernels do.
HandlePtr numeric_unary(const BinaryOp& op, const HandlePtr& x) {
  const DType d = x->value().dtype();
  const DType compute = is_floating(d) ? DType::kFloat32 : DType::kInt32;
  return imperative::apply(op.call(), {cast_to(x, compute)})[0];
}

template <const BinaryOp& Op, bool Reflected>
HandlePtr bound_binary(const HandlePtr& self, py::handle other) {
  return binary(Op, self, other, Reflected);
}

template <const BinaryOp& Op>
HandlePtr bound_inplace(const HandlePtr& self, py::handle other) {
  HandlePtr result = binary(Op, self, other, false);
  if (result->value().dtype() != self->value().dtype()) result = cast_to(result, self->value().dtype());
  self->assign(*result);
  return self;
}

BinaryOp kAdd{"add", Family::kArith}, kSub{"sub", Family::kArith}, kMul{"mul", Family::kArith},
    kDiv{"div", Family::kTrueDiv}, kPow{"pow", Family::kTrueDiv},
    kFloorDiv{"floor_div", Family::kArith}, kMod{"mod", Family::kArith},
    kEq{"equal", Family::kCompare}, kNe{"not_equal", Family::kCompare},
    kLt{"less", Family::kCompare}, kLe{"less_equal", Family::kCompare},
    kGt{"greater", Family::kCompare}, kGe{"greater_equal", Family::kCompare},
    kAnd{"logical_and", Family::kLogical}, kOr{"logical_or", Family::kLogical},
    kXor{"logical_xor", Family::kLogical};
// Unary operators reuse BinaryOp's cached OpCall (the family is unused).
BinaryOp kNeg{"neg", Family::kArith}, kAbs{"abs", Family::kArith}, kNot{"logical_not", Family::kLogical};

py::tuple shape_tuple(const Shape& s) {
  py::tuple t(s.rank());
  for (int i = 0; i < s.rank(); ++i) t[i] = py::int_(s[i]);
  return t;
}

}  // namespace

void bind_tensor(py::module_& m) {
  py::class_<TensorHandle, HandlePtr> cls(m, "Tensor", py::dynamic_attr());
  cls.def(py::init([](py::handle data, py::handle dtype, py::handle device) {
            if (!device.is_none()) {
              const auto d = py::str(device).cast<std::string>();
              KILN_CHECK(d == "cpu" || d == "cpu0" || d == "xpux", kValue, "unknown device '", d,
                         "': this build of kiln supports 'cpu'");
            }
            if (py::isinstance<TensorHandle>(data)) {  // shares the value (and trace identity)
              HandlePtr copy = data.cast<HandlePtr>()->detached();
              return dtype.is_none() ? copy : cast_to(copy, dtype_from_py(dtype));
            }
            if (dtype.is_none()) return make_handle(tensor_from_py(data, nullptr));
            const DType d = dtype_from_py(dtype);
            return make_handle(tensor_from_py(data, &d));
          }),
          py::arg("data"), py::arg("dtype") = py::none(), py::arg("device") = py::none());

  cls.def_property_readonly("shape", [](const TensorHandle& h) { return shape_tuple(h.value().shape()); })
      .def_property_readonly("ndim", [](const TensorHandle& h) { return h.value().rank(); })
      .def_property_readonly("size", [](const TensorHandle& h) { return h.value().numel(); })
      .def_property_readonly("dtype", [](const TensorHandle& h) { return numpy_dtype(h.value().dtype()); })
      .def_property_readonly("device", [](const TensorHandle&) { return "cpu"; })
      .def_property("grad", [](const TensorHandle& h) { return h.grad; },
                    [](TensorHandle& h, HandlePtr g) {
                      if (g) {
                        KILN_CHECK(g->meta() == h.meta(), kValue, "grad must be ", h.meta().str(),
                                   "; got ", g->meta().str());
                      }
                      h.grad = std::move(g);
                    })
      .def("_numpy", [](const TensorHandle& h) {
        KILN_CHECK(h.value().defined(), kValue,
                   "this tensor comes from a symbolic trace and has no value");
        return tensor_to_numpy(h.value());
      })
      .def("_reset", [](TensorHandle& h, const HandlePtr& other) { h.assign(*other); })
      .def("detach", &TensorHandle::detached)
      .def("_is_contiguous", [](const TensorHandle& h) { return h.value().is_contiguous(); })
      .def("_shares_memory", [](const TensorHandle& a, const TensorHandle& b) {
        return a.value().shares_storage(b.value());
      })
      .def("_requires_grad", &TensorHandle::requires_grad)
      .def("__hash__", [](const TensorHandle& h) { return reinterpret_cast<intptr_t>(&h) >> 4; })
      .def("__add__", bound_binary<kAdd, false>, py::is_operator())
      .def("__radd__", bound_binary<kAdd, true>, py::is_operator())
      .def("__sub__", bound_binary<kSub, false>, py::is_operator())
      .def("__rsub__", bound_binary<kSub, true>, py::is_operator())
      .def("__mul__", bound_binary<kMul, false>, py::is_operator())
      .def("__rmul__", bound_binary<kMul, true>, py::is_operator())
      .def("__truediv__", bound_binary<kDiv, false>, py::is_operator())
      .def("__rtruediv__", bound_binary<kDiv, true>, py::is_operator())
      .def("__floordiv__", bound_binary<kFloorDiv, false>, py::is_operator())
      .def("__rfloordiv__", bound_binary<kFloorDiv, true>, py::is_operator())
      .def("__mod__", bound_binary<kMod, false>, py::is_operator())
      .def("__rmod__", bound_binary<kMod, true>, py::is_operator())
      .def("__pow__", bound_binary<kPow, false>, py::is_operator())
      .def("__rpow__", bound_binary<kPow, true>, py::is_operator())
      .def("__eq__", bound_binary<kEq, false>, py::is_operator())
      .def("__ne__", bound_binary<kNe, false>, py::is_operator())
      .def("__lt__", bound_binary<kLt, false>, py::is_operator())
      .def("__le__", bound_binary<kLe, false>, py::is_operator())
      .def("__gt__", bound_binary<kGt, false>, py::is_operator())
      .def("__ge__", bound_binary<kGe, false>, py::is_operator())
      .def("__and__", bound_binary<kAnd, false>, py::is_operator())
      .def("__rand__", bound_binary<kAnd, true>, py::is_operator())
      .def("__or__", bound_binary<kOr, false>, py::is_operator())
      .def("__ror__", bound_binary<kOr, true>, py::is_operator())
      .def("__xor__", bound_binary<kXor, false>, py::is_operator())
      .def("__iadd__", bound_inplace<kAdd>, py::is_operator())
      .def("__isub__", bound_inplace<kSub>, py::is_operator())
      .def("__imul__", bound_inplace<kMul>, py::is_operator())
      .def("__itruediv__", bound_inplace<kDiv>, py::is_operator())
      .def("__ipow__", bound_inplace<kPow>, py::is_operator())
      .def("__ifloordiv__", bound_inplace<kFloorDiv>, py::is_operator())
      .def("__imod__", bound_inplace<kMod>, py::is_operator())
      .def("__neg__", [](const HandlePtr& x) { return numeric_unary(kNeg, x); })
      .def("__pos__", [](const HandlePtr& x) { return x; })
      .def("__abs__", [](const HandlePtr& x) { return numeric_unary(kAbs, x); })
      .def("__invert__", [](const HandlePtr& x) {
        KILN_CHECK(x->value().dtype() == DType::kBool, kType, "~ (logical_not): operand is ",
                   dtype_name(x->value().dtype()), "; expected a bool tensor");
        return imperative::apply(kNot.call(), {x})[0];
      });
  m.def("_promote_types", [](py::handle a, py::handle b) {
    return numpy_dtype(promote(dtype_from_py(a), dtype_from_py(b)));
  });
}

}  // namespace python
}  // namespace kiln
