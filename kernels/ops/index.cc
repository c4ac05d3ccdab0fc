#include "kernels/ops/index.h"

#include "kernels/core/error.h"
#include "kernels/grad_builder.h"
#include "kernels/infer_util.h"
#include "kernels/ops/axis_util.h"

namespace kiln {

int64_t first_bad_index(const Tensor& index, int64_t lo, int64_t hi) {
  const int32_t* p = index.data<int32_t>();
  const int64_t n = index.numel();
  int bad = 0;
#pragma omp simd reduction(| : bad)
  for (int64_t i = 0; i < n; ++i) bad |= (p[i] < lo) | (p[i] >= hi);
  if (!bad) return -1;
  for (int64_t i = 0; i < n; ++i)
    if (p[i] < lo || p[i] >= hi) return i;
  return -1;
}

void throw_bad_index(const std::string& op, const Tensor& index, int64_t at, int64_t lo, int64_t hi,
                     const std::string& context) {
  Shape pos = Dims::filled(index.rank(), 0);
  int64_t rest = at;
  for (int d = index.rank() - 1; d >= 0; --d) {
    pos[d] = rest % index.shape()[d];
    rest /= index.shape()[d];
  }
  throw_error(ErrorKind::kIndex, op, ": index ", index.data<int32_t>()[at], " at position ",
              pos.str(), " of the index (shape ", index.shape().str(), ") is out of range for ",
              context, "; expected ", lo, " <= index < ", hi);
}

namespace {

using Metas = std::vector<TensorMeta>;
constexpr DType kF32 = DType::kFloat32, kI32 = DType::kInt32;

// gather/scatter: index has x's rank and fits inside x (except along the
// axis) and inside src (everywhere).
void check_fits(const OpDef& op, const Metas& in, int axis) {
  const Shape &x = in[0].shape, &index = in[1].shape;
  for (size_t i = 1; i < in.size(); ++i)
    KILN_CHECK(in[i].shape.rank() == x.rank(), kValue, op.name, ": inputs ", describe_inputs(in),
               " have different ranks; expected index (and src) of x's rank ", x.rank());
  for (int d = 0; d < x.rank(); ++d) {
    bool ok = d == axis || index[d] <= x[d];
    if (in.size() == 3) ok = ok && index[d] <= in[2].shape[d];
    KILN_CHECK(ok, kValue, op.name, ": index shape ", index.str(), " does not fit inputs ",
               describe_inputs(in), " at dimension ", d,
               "; expected index.shape[d] <= x.shape[d] "
               "(d != axis ",
               axis, ")", in.size() == 3 ? " and <= src.shape[d]" : "");
  }
}

Metas infer_gather(const OpDef& op, const Attrs& a, const Metas& in) {
  check_dtype(op, in, 1, {kI32});
  check_fits(op, in, checked_axis(op.name, a.get_int("axis"), in[0].shape));
  return {{in[0].dtype, in[1].shape}};
}

template <bool kAdd>
Metas infer_scatter(const OpDef& op, const Attrs& a, const Metas& in) {
  if (kAdd) check_dtype(op, in, 0, {kF32, kI32});
  check_dtype(op, in, 1, {kI32});
  KILN_CHECK(in[2].dtype == in[0].dtype, kType, op.name, ": src dtype differs from x's (",
             describe_inputs(in), "); expected equal dtypes");
  check_fits(op, in, checked_axis(op.name, a.get_int("axis"), in[0].shape));
  return {in[0]};
}

// The shape index_select gives for x (and index_add expects of src).
Shape selected_shape(const OpDef& op, const Attrs& a, const Metas& in) {
  check_dtype(op, in, 1, {kI32});
  check_rank(op, in, 1, 1);
  Shape out = in[0].shape;
  out[checked_axis(op.name, a.get_int("axis"), out)] = in[1].shape[0];
  return out;
}

Metas infer_index_select(const OpDef& op, const Attrs& a, const Metas& in) {
  return {{in[0].dtype, selected_shape(op, a, in)}};
}

Metas infer_index_add(const OpDef& op, const Attrs& a, const Metas& in) {
  check_dtype(op, in, 0, {kF32, kI32});
  const Shape want = selected_shape(op, a, in);
  KILN_CHECK(in[2].dtype == in[0].dtype && in[2].shape == want, kValue, op.name, ": src is ",
             in[2].str(), " for inputs ", describe_inputs(in), "; expected ",
             TensorMeta{in[0].dtype, want}.str());
  return {in[0]};
}

Metas infer_one_hot(const OpDef& op, const Attrs& a, const Metas& in) {
  check_dtype(op, in, 0, {kI32});
  const int64_t n = a.get_int("num_classes");
  KILN_CHECK(n >= 1, kValue, op.name, ": num_classes is ", n, "; expected num_classes >= 1");
  Shape out = in[0].shape;
  out.push_back(n);
  return {{kF32, out}};
}

// ---- gradient rules -------------------------------------------------------

Attrs axis_of(GradContext& c) { return {{"axis", c.attrs().get_int("axis")}}; }

// g (index-shaped) zero-padded at the end of each dim up to `shape`.
Var pad_to(const Var& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  std::vector<int64_t> pads;
  for (int d = 0; d < shape.rank(); ++d) {
    pads.push_back(0);
    pads.push_back(shape[d] - g.shape()[d]);
  }
  return call("pad", {g}, {{"pads", pads}});
}

void grad_gather(GradContext& c) {
  const Var x = input(c, 0);
  set_grad(c, 0, call("scatter_add", {zeros_like(x), input(c, 1), output_grad(c, 0)}, axis_of(c)));
}

// scatter: x keeps dy except where it was overwritten; src gets dy at its
// targets (with repeated targets every repeat gets it, not only the last).
void grad_scatter(GradContext& c) {
  const Var dy = output_grad(c, 0), index = input(c, 1), src = input(c, 2);
  if (c.needs_input_grad(0))
    set_grad(c, 0, call("scatter", {dy, index, zeros_like(src)}, axis_of(c)));
  if (c.needs_input_grad(2))
    set_grad(c, 2, pad_to(call("gather", {dy, index}, axis_of(c)), src.shape()));
}

void grad_scatter_add(GradContext& c) {
  const Var dy = output_grad(c, 0);
  set_grad(c, 0, dy);
  if (c.needs_input_grad(2))
    set_grad(c, 2, pad_to(call("gather", {dy, input(c, 1)}, axis_of(c)), input(c, 2).shape()));
}

void grad_index_select(GradContext& c) {
  set_grad(
      c, 0,
      call("index_add", {zeros_like(input(c, 0)), input(c, 1), output_grad(c, 0)}, axis_of(c)));
}

void grad_index_add(GradContext& c) {
  const Var dy = output_grad(c, 0);
  set_grad(c, 0, dy);
  if (c.needs_input_grad(2)) set_grad(c, 2, call("index_select", {dy, input(c, 1)}, axis_of(c)));
}

}  // namespace

void define_index_ops(OpTable& t) {
  auto op = [&](const char* name, int inputs, InferFn infer, GradFn grad) {
    t.define(name)
        .kind(OpKind::kIndex)
        .inputs(inputs)
        .infer(infer)
        .grad(grad)
        .attr("axis", AttrType::kInt, int64_t{0});
  };
  op("gather", 2, infer_gather, grad_gather);
  op("scatter", 3, infer_scatter<false>, grad_scatter);
  op("scatter_add", 3, infer_scatter<true>, grad_scatter_add);
  op("index_select", 2, infer_index_select, grad_index_select);
  op("index_add", 3, infer_index_add, grad_index_add);
  t.define("one_hot")
      .kind(OpKind::kIndex)
      .inputs(1)
      .attr("num_classes", AttrType::kInt)
      .infer(infer_one_hot);
}

}  // namespace kiln
