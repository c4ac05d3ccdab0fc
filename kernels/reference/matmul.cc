// Reference matmul: the triple loop with explicit broadcast and transpose
// index arithmetic, accumulated in double; then + bias[j] and relu if given.
#include "kernels/ops/matmul.h"
#include "kernels/reference/index_math.h"

namespace kiln {
namespace {

void ref_matmul(const Attrs& attrs, bool has_bias, const Tensor* in, Tensor* out) {
  const bool relu = attrs.get_bool("relu");
  const MatmulGeometry g = matmul_geometry(get_op("matmul"), attrs, in[0].shape(), in[1].shape());
  const Tensor &a = in[0], &b = in[1];
  Tensor& y = out[0];
  const int br = g.batch.rank();
  const int64_t batches = g.batch.numel();
  int64_t idx[kMaxRank];
  for (int64_t bi = 0; bi < batches; ++bi) {
    reference::unravel(g.batch, bi, idx);
    // Offsets of this batch's matrices: broadcast dims (size 1) stay at 0.
    int64_t a_off = 0, b_off = 0, a_step = g.m * g.k, b_step = g.k * g.n;
    for (int d = br - 1; d >= 0; --d) {
      if (g.a_batch[d] != 1) a_off += idx[d] * a_step;
      if (g.b_batch[d] != 1) b_off += idx[d] * b_step;
      a_step *= g.a_batch[d];
      b_step *= g.b_batch[d];
    }
    for (int64_t i = 0; i < g.m; ++i) {
      for (int64_t j = 0; j < g.n; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < g.k; ++p) {
          const float av = a.data<float>()[a_off + (g.transpose_a ? p * g.m + i : i * g.k + p)];
          const float bv = b.data<float>()[b_off + (g.transpose_b ? j * g.k + p : p * g.n + j)];
          acc += static_cast<double>(av) * bv;
        }
        if (has_bias) acc += in[2].data<float>()[j];
        if (relu) acc = acc > 0 ? acc : 0.0;
        y.data<float>()[(bi * g.m + i) * g.n + j] = static_cast<float>(acc);
      }
    }
  }
}

class RefMatmul final : public Kernel {
 public:
  explicit RefMatmul(const KernelArgs& args)
      : attrs_(args.attrs), has_bias_(args.inputs.size() == 3) {}
  void run(const Tensor* in, Tensor* out) override { ref_matmul(attrs_, has_bias_, in, out); }

 private:
  Attrs attrs_;
  bool has_bias_;
};

}  // namespace

void register_matmul_reference(OpTable& t) {
  t.set_kernel("matmul", Backend::kReference,
               [](const KernelArgs& args) { return std::make_unique<RefMatmul>(args); });
}

}  // namespace kiln
