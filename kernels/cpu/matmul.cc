// CPU matmul: one oneDNN matmul primitive per shape. Transposes and broadcast
// batch dims are expressed by the operands' memory descriptors (swapped
// strides, dims of 1), so nothing is copied. The optional bias is the
// primitive's bias argument (dims 1, ..., 1, n) and relu an eltwise post-op.
#include <cstring>

#include "kernels/cpu/dnnl_util.h"
#include "kernels/ops/matmul.h"

namespace kiln {
namespace {

using cpu::DnnlDims;

// Logical [batch..., rows, cols] view of a contiguous tensor stored as
// [batch..., rows, cols], or as [batch..., cols, rows] when transposed.
dnnl::memory::desc operand_md(const Shape& batch, int64_t rows, int64_t cols, bool transposed) {
  DnnlDims dims(batch.begin(), batch.end());
  dims.push_back(rows);
  dims.push_back(cols);
  const int r = static_cast<int>(dims.size());
  DnnlDims strides(r);
  strides[r - 1] = transposed ? rows : 1;
  strides[r - 2] = transposed ? 1 : cols;
  int64_t step = rows * cols;
  for (int i = r - 3; i >= 0; --i) {
    strides[i] = step;
    step *= dims[i];
  }
  return cpu::strided_md(dims, strides);
}

class MatmulKernel final : public Kernel {
 public:
  explicit MatmulKernel(const KernelArgs& args) {
    const MatmulGeometry g =
        matmul_geometry(get_op("matmul"), args.attrs, args.inputs[0].shape, args.inputs[1].shape);
    empty_ = args.outputs[0].shape.numel() == 0;
    zero_k_ = !empty_ && g.k == 0;
    has_bias_ = args.inputs.size() == 3;
    relu_ = args.attrs.get_bool("relu");
    out_bytes_ = args.outputs[0].shape.numel() * sizeof(float);
    n_ = g.n;
    if (empty_ || zero_k_) return;
    const auto src = operand_md(g.a_batch, g.m, g.k, g.transpose_a);
    const auto wei = operand_md(g.b_batch, g.k, g.n, g.transpose_b);
    const auto dst = operand_md(g.batch, g.m, g.n, false);
    dnnl::memory::desc bias;
    if (has_bias_) {
      DnnlDims dims(g.batch.rank() + 2, 1);
      dims.back() = g.n;
      bias = cpu::plain_md(dims);
    }
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, wei, bias, dst),
                                          cpu::fused_kernel_attr(false, relu_),
                                          cpu::dnnl_engine());
    step_ = cpu::DnnlStep(dnnl::matmul(pd), pd);
    a_ = step_.arg(DNNL_ARG_SRC, src);
    b_ = step_.arg(DNNL_ARG_WEIGHTS, wei);
    if (has_bias_) bias_ = step_.arg(DNNL_ARG_BIAS, bias);
    y_ = step_.arg(DNNL_ARG_DST, dst);
  }

  void run(const Tensor* in, Tensor* out) override {
    if (empty_) return;
    if (zero_k_) {  // an empty sum: every row is the bias (or zero), then relu
      float* y = out[0].data<float>();
      if (!has_bias_) {
        std::memset(y, 0, out_bytes_);
        return;
      }
      const float* b = in[2].data<float>();
      const int64_t total = static_cast<int64_t>(out_bytes_ / sizeof(float));
      for (int64_t i = 0; i < total; ++i) {
        const float v = b[i % n_];
        y[i] = relu_ && !(v > 0.0f) ? 0.0f : v;
      }
      return;
    }
    step_.set(a_, in[0].raw_data());
    step_.set(b_, in[1].raw_data());
    if (has_bias_) step_.set(bias_, in[2].raw_data());
    step_.set(y_, out[0].raw_data());
    step_.execute();
  }

 private:
  bool empty_ = false, zero_k_ = false, has_bias_ = false, relu_ = false;
  size_t out_bytes_ = 0;
  int64_t n_ = 1;
  cpu::DnnlStep step_;
  int a_ = -1, b_ = -1, bias_ = -1, y_ = -1;
};

}  // namespace

void register_matmul_cpu(OpTable& t) {
  t.set_kernel("matmul", Backend::kCpu, cpu::dnnl_kernel<MatmulKernel>("matmul"));
}

}  // namespace kiln
