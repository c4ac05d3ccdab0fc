#include "kernels/infer_util.h"

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

}  // namespace kiln
