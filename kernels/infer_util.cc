#include "kernels/infer_util.h"

#include <algorithm>

#include "kernels/core/error.h"

namespace kiln {

void check_dtype(const OpDef& op, const std::vector<TensorMeta>& in, int i,
                 std::initializer_list<DType> allowed) {
  for (DType d : allowed)
    if (in[i].dtype == d) return;
  std::string names;
  for (DType d : allowed) names += std::string(names.empty() ? "" : " or ") + dtype_name(d);
  throw_error(ErrorKind::kType, op.name, ": input ", i, " has dtype ", dtype_name(in[i].dtype),
              "; expected ", names);
}

void check_same_dtype(const OpDef& op, const std::vector<TensorMeta>& in) {
  for (size_t i = 1; i < in.size(); ++i)
    KILN_CHECK(in[i].dtype == in[0].dtype, kType, op.name, ": inputs have different dtypes (",
               describe_inputs(in), "); expected equal dtypes");
}

void check_rank(const OpDef& op, const std::vector<TensorMeta>& in, int i, int rank) {
  KILN_CHECK(in[i].shape.rank() == rank, kValue, op.name, ": input ", i, " has shape ",
             in[i].shape.str(), "; expected a ", rank, "-d tensor");
}

DType dtype_attr(const OpDef& op, const Attrs& attrs, const char* name) {
  try {
    return dtype_from_name(attrs.get_string(name));
  } catch (const Error& e) {
    throw_error(e.kind(), op.name, ": ", e.what());
  }
}

std::string describe_inputs(const std::vector<TensorMeta>& in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) out += (i ? ", " : "") + in[i].str();
  return out;
}

int64_t checked_add(const std::string& op, const char* what, int64_t a, int64_t b) {
  int64_t out;
  KILN_CHECK(!__builtin_add_overflow(a, b, &out), kValue, op, ": ", what, " overflows: ", a, " + ",
             b, " does not fit in int64; expected sizes and attributes that do");
  return out;
}

int64_t checked_mul(const std::string& op, const char* what, int64_t a, int64_t b) {
  int64_t out;
  KILN_CHECK(!__builtin_mul_overflow(a, b, &out), kValue, op, ": ", what, " overflows: ", a, " * ",
             b, " does not fit in int64; expected sizes and attributes that do");
  return out;
}

void check_output_shapes(const std::string& op, const std::vector<TensorMeta>& out) {
  for (size_t i = 0; i < out.size(); ++i) {
    int64_t extent = 1;
    for (int64_t d : out[i].shape) {
      KILN_CHECK(d >= 0 && !__builtin_mul_overflow(extent, std::max<int64_t>(d, 1), &extent),
                 kValue, op, ": output ", i, " would have shape ", out[i].shape.str(),
                 "; expected dimensions >= 0 whose product fits in int64");
    }
  }
}

}  // namespace kiln
