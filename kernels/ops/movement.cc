#include "kernels/ops/movement.h"

#include "kernels/core/error.h"
#include "kernels/grad_builder.h"
#include "kernels/infer_util.h"
#include "kernels/ops/axis_util.h"

namespace kiln {

namespace {

using Ints = std::vector<int64_t>;
using Metas = std::vector<TensorMeta>;

Metas infer_reshape(const OpDef& op, const Attrs& a, const Metas& in) {
  return {{in[0].dtype, resolve_reshape(op.name, in[0].shape, a.get_ints("shape"))}};
}

Metas infer_broadcast_to(const OpDef& op, const Attrs& a, const Metas& in) {
  const Shape& x = in[0].shape;
  const Shape to(a.get_ints("shape"));
  bool ok = to.rank() >= x.rank();
  for (int d = 0; ok && d < to.rank(); ++d) {
    const int xd = d - (to.rank() - x.rank());
    ok = to[d] >= 0 && (xd < 0 || x[xd] == to[d] || x[xd] == 1);
  }
  KILN_CHECK(ok, kValue, op.name, ": cannot broadcast an input of shape ", x.str(), " to ",
             to.str(),
             "; expected the input's dimensions, aligned to the right, to equal the "
             "target's or be 1");
  return {{in[0].dtype, to}};
}

// The validated permutation, axes normalized.
Dims checked_perm(const std::string& op, const Ints& perm, const Shape& x) {
  KILN_CHECK(static_cast<int>(perm.size()) == x.rank(), kValue, op, ": perm ", ints_str(perm),
             " has ", perm.size(), " entries for an input of shape ", x.str(), "; expected ",
             x.rank());
  Dims out;
  bool seen[kMaxRank] = {};
  for (int64_t p : perm) {
    const int d = checked_axis(op, p, x);
    KILN_CHECK(!seen[d], kValue, op, ": perm ", ints_str(perm), " repeats axis ", d,
               "; expected a permutation of the axes of ", x.str());
    seen[d] = true;
    out.push_back(d);
  }
  return out;
}

Metas infer_transpose(const OpDef& op, const Attrs& a, const Metas& in) {
  const Dims perm = checked_perm(op.name, a.get_ints("perm"), in[0].shape);
  Shape out;
  for (int64_t d : perm) out.push_back(in[0].shape[d]);
  return {{in[0].dtype, out}};
}

Metas infer_slice(const OpDef& op, const Attrs& a, const Metas& in) {
  return {{in[0].dtype, slice_spec(op.name, a, in[0].shape).out}};
}

Metas infer_slice_backward(const OpDef& op, const Attrs& a, const Metas& in) {
  const Shape shape(a.get_ints("shape"));
  const Shape want = slice_spec(op.name, a, shape).out;
  KILN_CHECK(in[0].shape == want, kValue, op.name, ": gradient of shape ", in[0].shape.str(),
             " for a slice of ", shape.str(), " (", a.str(), "); expected ", want.str());
  return {{in[0].dtype, shape}};
}

Metas infer_concat(const OpDef& op, const Attrs& a, const Metas& in) {
  check_same_dtype(op, in);
  const Shape& first = in[0].shape;
  KILN_CHECK(first.rank() > 0, kValue, op.name, ": cannot concatenate 0-d inputs (",
             describe_inputs(in), "); expected inputs of rank >= 1");
  const int axis = checked_axis(op.name, a.get_int("axis"), first);
  Shape out = first;
  out[axis] = 0;
  for (const TensorMeta& m : in) {
    bool ok = m.shape.rank() == first.rank();
    for (int d = 0; ok && d < first.rank(); ++d) ok = d == axis || m.shape[d] == first[d];
    KILN_CHECK(ok, kValue, op.name, ": input shapes ", describe_inputs(in), " differ outside axis ",
               axis,
               "; expected equal ranks and equal dimensions "
               "except along the axis");
    out[axis] = checked_add(op.name, "the concatenated size", out[axis], m.shape[axis]);
  }
  return {{in[0].dtype, out}};
}

Metas infer_pad(const OpDef& op, const Attrs& a, const Metas& in) {
  const Ints& pads = a.get_ints("pads");
  Shape out = in[0].shape;
  KILN_CHECK(static_cast<int>(pads.size()) == 2 * out.rank(), kValue, op.name, ": pads ",
             ints_str(pads), " for an input of shape ", out.str(), "; expected ", 2 * out.rank(),
             " entries (before and after for each axis)");
  for (int d = 0; d < out.rank(); ++d) {
    KILN_CHECK(pads[2 * d] >= 0 && pads[2 * d + 1] >= 0, kValue, op.name, ": pads ", ints_str(pads),
               " has a negative entry; expected pads >= 0");
    const int64_t both =
        checked_add(op.name, "the padding of an axis", pads[2 * d], pads[2 * d + 1]);
    out[d] = checked_add(op.name, "a padded size", out[d], both);
  }
  return {{in[0].dtype, out}};
}

Metas infer_copy(const OpDef&, const Attrs&, const Metas& in) { return {in[0]}; }

// ---- views ----------------------------------------------------------------

Tensor view_reshape(const Attrs& a, const Tensor& x) {
  return x.reshape_view(resolve_reshape("reshape", x.shape(), a.get_ints("shape")));
}
Tensor view_broadcast_to(const Attrs& a, const Tensor& x) {
  return x.broadcast_view(Shape(a.get_ints("shape")));
}
Tensor view_transpose(const Attrs& a, const Tensor& x) {
  return x.permute(checked_perm("transpose", a.get_ints("perm"), x.shape()));
}
Tensor view_slice(const Attrs& a, const Tensor& x) {
  return slice_view(x, slice_spec("slice", a, x.shape()));
}

// ---- gradient rules -------------------------------------------------------

Var dy(GradContext& c) { return output_grad(c, 0); }
Shape x_shape(GradContext& c, int i = 0) { return input(c, i).shape(); }

Attrs slice_attrs(const Ints& axes, const Ints& starts, const Ints& stops) {
  return {{"axes", axes}, {"starts", starts}, {"stops", stops}, {"steps", Ints(axes.size(), 1)}};
}
Attrs slice_attrs_of(const Attrs& a) {
  return {{"axes", a.get_ints("axes")},
          {"starts", a.get_ints("starts")},
          {"stops", a.get_ints("stops")},
          {"steps", a.get_ints("steps")}};
}

void grad_reshape(GradContext& c) { set_grad(c, 0, reshape(dy(c), x_shape(c))); }
void grad_broadcast_to(GradContext& c) { set_grad(c, 0, sum_to(dy(c), x_shape(c))); }
void grad_transpose(GradContext& c) {
  const Dims perm = checked_perm("transpose", c.attrs().get_ints("perm"), x_shape(c));
  Ints inverse(perm.rank());
  for (int i = 0; i < perm.rank(); ++i) inverse[perm[i]] = i;
  set_grad(c, 0, call("transpose", {dy(c)}, {{"perm", inverse}}));
}
void grad_slice(GradContext& c) {
  Attrs a = slice_attrs_of(c.attrs());
  a.set("shape", x_shape(c).vec());
  set_grad(c, 0, call("slice_backward", {dy(c)}, a));
}
void grad_slice_backward(GradContext& c) {
  set_grad(c, 0, call("slice", {dy(c)}, slice_attrs_of(c.attrs())));
}
void grad_concat(GradContext& c) {
  const int axis = checked_axis("concat", c.attrs().get_int("axis"), x_shape(c));
  int64_t offset = 0;
  for (int i = 0; i < c.num_inputs(); ++i) {
    const int64_t n = x_shape(c, i)[axis];
    if (c.needs_input_grad(i))
      set_grad(c, i, call("slice", {dy(c)}, slice_attrs({axis}, {offset}, {offset + n})));
    offset += n;
  }
}
void grad_pad(GradContext& c) {
  const Ints& pads = c.attrs().get_ints("pads");
  const Shape x = x_shape(c);
  Ints axes, starts, stops;
  for (int d = 0; d < x.rank(); ++d) {
    axes.push_back(d);
    starts.push_back(pads[2 * d]);
    stops.push_back(pads[2 * d] + x[d]);
  }
  set_grad(c, 0, call("slice", {dy(c)}, slice_attrs(axes, starts, stops)));
}
void grad_copy(GradContext& c) { set_grad(c, 0, dy(c)); }

}  // namespace

void define_movement_ops(OpTable& t) {
  auto slice_attrs = [](OpBuilder b) {
    b.attr("axes", AttrType::kInts)
        .attr("starts", AttrType::kInts)
        .attr("stops", AttrType::kInts)
        .attr("steps", AttrType::kInts, Ints{});
  };
  t.define("reshape")
      .kind(OpKind::kMovement)
      .attr("shape", AttrType::kInts)
      .infer(infer_reshape)
      .view(view_reshape)
      .grad(grad_reshape)
      .strided_inputs();
  t.define("broadcast_to")
      .kind(OpKind::kMovement)
      .attr("shape", AttrType::kInts)
      .infer(infer_broadcast_to)
      .view(view_broadcast_to)
      .grad(grad_broadcast_to)
      .strided_inputs();
  t.define("transpose")
      .kind(OpKind::kMovement)
      .attr("perm", AttrType::kInts)
      .infer(infer_transpose)
      .view(view_transpose)
      .grad(grad_transpose)
      .strided_inputs();
  slice_attrs(t.define("slice")
                  .kind(OpKind::kMovement)
                  .infer(infer_slice)
                  .view(view_slice)
                  .grad(grad_slice)
                  .strided_inputs());
  slice_attrs(t.define("slice_backward")
                  .kind(OpKind::kOther)
                  .attr("shape", AttrType::kInts)
                  .infer(infer_slice_backward)
                  .grad(grad_slice_backward)
                  .strided_inputs());
  t.define("concat")
      .kind(OpKind::kOther)
      .inputs(-1)
      .attr("axis", AttrType::kInt, int64_t{0})
      .infer(infer_concat)
      .grad(grad_concat)
      .strided_inputs();
  t.define("pad")
      .kind(OpKind::kOther)
      .attr("pads", AttrType::kInts)
      .attr("value", AttrType::kFloat, 0.0)
      .infer(infer_pad)
      .grad(grad_pad)
      .strided_inputs();
  t.define("copy").kind(OpKind::kOther).infer(infer_copy).grad(grad_copy).strided_inputs();
}

}  // namespace kiln
