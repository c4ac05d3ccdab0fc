#include "kernels/ops/matmul.h"

#include "kernels/core/error.h"
#include "kernels/grad_builder.h"
#include "kernels/infer_util.h"

namespace kiln {

MatmulGeometry matmul_geometry(const OpDef& op, const Attrs& attrs, const Shape& a,
                               const Shape& b) {
  MatmulGeometry g;
  g.transpose_a = attrs.get_bool("transpose_a");
  g.transpose_b = attrs.get_bool("transpose_b");
  const auto describe = [&] {
    return str_cat("a ", a.str(), " (transpose_a=", g.transpose_a ? "true" : "false", ") and b ",
                   b.str(), " (transpose_b=", g.transpose_b ? "true" : "false", ")");
  };
  KILN_CHECK(a.rank() >= 2 && b.rank() >= 2, kValue, op.name, ": got ", describe(),
             "; expected both ranks >= 2 (reshape 1-D operands first)");
  const int ra = a.rank(), rb = b.rank();
  g.m = g.transpose_a ? a[ra - 1] : a[ra - 2];
  g.k = g.transpose_a ? a[ra - 2] : a[ra - 1];
  const int64_t kb = g.transpose_b ? b[rb - 1] : b[rb - 2];
  g.n = g.transpose_b ? b[rb - 2] : b[rb - 1];
  KILN_CHECK(g.k == kb, kValue, op.name, ": inner dimensions differ for ", describe(),
             "; expected a's K=", g.k, " to equal b's K=", kb);
  const int rank = std::max(ra, rb) - 2;
  for (int i = 0; i < rank; ++i) {
    const int ia = i - (rank - (ra - 2)), ib = i - (rank - (rb - 2));
    const int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    KILN_CHECK(da == db || da == 1 || db == 1, kValue, op.name,
               ": batch dimensions do not broadcast for ", describe(), "; batch dim ", i,
               " is ", da, " vs ", db, ", expected equal sizes or 1");
    g.a_batch.push_back(da);
    g.b_batch.push_back(db);
    g.batch.push_back(da == 1 ? db : da);
  }
  return g;
}

namespace {

std::vector<TensorMeta> infer_matmul(const OpDef& op, const Attrs& attrs,
                                     const std::vector<TensorMeta>& in) {
  KILN_CHECK(in.size() == 2 || in.size() == 3, kValue, op.name, ": got ", in.size(),
             " inputs (", describe_inputs(in), "); expected a, b and an optional bias");
  for (int i = 0; i < static_cast<int>(in.size()); ++i) check_dtype(op, in, i, {DType::kFloat32});
  const MatmulGeometry g = matmul_geometry(op, attrs, in[0].shape, in[1].shape);
  if (in.size() == 3) {
    KILN_CHECK(in[2].shape == Shape({g.n}), kValue, op.name, ": bias has shape ",
               in[2].shape.str(), "; expected (", g.n, ",) for an output of ", g.n, " columns");
  }
  Shape out = g.batch;
  out.push_back(g.m);
  out.push_back(g.n);
  return {{DType::kFloat32, out}};
}

Var matmul(const Var& a, const Var& b, bool ta, bool tb) {
  return call("matmul", {a, b}, {{"transpose_a", ta}, {"transpose_b", tb}});
}

// y = op(a) op(b). With A = op(a), B = op(b): dA = dy B^T, dB = A^T dy; each
// is mapped back through its own transpose, then summed over broadcast batch dims.
// With a bias, db sums dy over every row; a fused relu first masks dy by y > 0.
void grad_matmul(GradContext& c) {
  const Var a = input(c, 0), b = input(c, 1);
  Var dy = output_grad(c, 0);
  if (!dy.defined()) return;
  if (c.attrs().get_bool("relu")) dy = call("relu_grad", {dy, output(c, 0)});
  if (c.num_inputs() == 3 && c.needs_input_grad(2)) set_grad(c, 2, sum_to(dy, input(c, 2).shape()));
  const bool ta = c.attrs().get_bool("transpose_a"), tb = c.attrs().get_bool("transpose_b");
  if (c.needs_input_grad(0)) {
    const Var da = ta ? matmul(b, dy, tb, true) : matmul(dy, b, false, !tb);
    set_grad(c, 0, sum_to(da, a.shape()));
  }
  if (c.needs_input_grad(1)) {
    const Var db = tb ? matmul(dy, a, true, ta) : matmul(a, dy, !ta, false);
    set_grad(c, 1, sum_to(db, b.shape()));
  }
}

}  // namespace

void define_matmul_op(OpTable& t) {
  t.define("matmul").kind(OpKind::kCompute).inputs(-1)
      .attr("transpose_a", AttrType::kBool, false)
      .attr("transpose_b", AttrType::kBool, false)
      .attr("relu", AttrType::kBool, false)
      .infer(infer_matmul).grad(grad_matmul);
}

}  // namespace kiln
