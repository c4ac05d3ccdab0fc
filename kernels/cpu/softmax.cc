// CPU softmax / log_softmax and their backward ops on oneDNN's softmax_v2
// (softmax_accurate / softmax_log), with x viewed as (outer, axis, inner) so
// any rank and axis map onto one 2-d or 3-d primitive.
#include "kernels/cpu/dnnl_util.h"
#include "kernels/ops/softmax.h"

namespace kiln {
namespace {

using dnnl::algorithm;
using dnnl::softmax_v2_backward;
using dnnl::softmax_v2_forward;

dnnl::memory::desc view_md(const SoftmaxGeometry& g) {
  if (g.inner == 1) return cpu::plain_md(cpu::DnnlDims{g.outer, g.axis_size});
  return cpu::plain_md(cpu::DnnlDims{g.outer, g.axis_size, g.inner});
}

softmax_v2_forward::primitive_desc forward_pd(const dnnl::memory::desc& md, algorithm alg,
                                              dnnl::prop_kind prop) {
  return {softmax_v2_forward::desc(prop, alg, md, md, 1), cpu::kernel_attr(), cpu::dnnl_engine()};
}

template <bool kLog>
class SoftmaxKernel final : public Kernel {
 public:
  explicit SoftmaxKernel(const KernelArgs& args) {
    const char* name = kLog ? "log_softmax" : "softmax";
    const SoftmaxGeometry g = softmax_geometry(get_op(name), args.attrs, args.inputs[0].shape);
    if (args.inputs[0].shape.numel() == 0) return;
    const auto md = view_md(g);
    const auto pd = forward_pd(md, kLog ? algorithm::softmax_log : algorithm::softmax_accurate,
                               dnnl::prop_kind::forward_inference);
    step_ = cpu::DnnlStep(softmax_v2_forward(pd), pd);
    x_ = step_.arg(DNNL_ARG_SRC, md);
    y_ = step_.arg(DNNL_ARG_DST, md);
  }

  void run(const Tensor* in, Tensor* out) override {
    if (!step_.defined()) return;
    step_.set(x_, in[0].raw_data());
    step_.set(y_, out[0].raw_data());
    step_.execute();
  }

 private:
  cpu::DnnlStep step_;
  int x_ = -1, y_ = -1;
};

template <bool kLog>
class SoftmaxBackwardKernel final : public Kernel {
 public:
  explicit SoftmaxBackwardKernel(const KernelArgs& args) {
    const char* name = kLog ? "log_softmax_backward" : "softmax_backward";
    const SoftmaxGeometry g = softmax_geometry(get_op(name), args.attrs, args.inputs[0].shape);
    if (args.inputs[0].shape.numel() == 0) return;
    const auto md = view_md(g);
    const algorithm alg = kLog ? algorithm::softmax_log : algorithm::softmax_accurate;
    const auto hint = forward_pd(md, alg, dnnl::prop_kind::forward_training);
    const softmax_v2_backward::primitive_desc pd(softmax_v2_backward::desc(alg, md, md, md, 1),
                                                 cpu::kernel_attr(), cpu::dnnl_engine(), hint);
    step_ = cpu::DnnlStep(softmax_v2_backward(pd), pd);
    y_ = step_.arg(DNNL_ARG_DST, md);
    dy_ = step_.arg(DNNL_ARG_DIFF_DST, md);
    dx_ = step_.arg(DNNL_ARG_DIFF_SRC, md);
  }

  void run(const Tensor* in, Tensor* out) override {
    if (!step_.defined()) return;
    step_.set(y_, in[0].raw_data());
    step_.set(dy_, in[1].raw_data());
    step_.set(dx_, out[0].raw_data());
    step_.execute();
  }

 private:
  cpu::DnnlStep step_;
  int y_ = -1, dy_ = -1, dx_ = -1;
};

}  // namespace

void register_softmax_cpu(OpTable& t) {
  t.set_kernel("softmax", Backend::kCpu, cpu::dnnl_kernel<SoftmaxKernel<false>>("softmax"));
  t.set_kernel("log_softmax", Backend::kCpu, cpu::dnnl_kernel<SoftmaxKernel<true>>("log_softmax"));
  t.set_kernel("softmax_backward", Backend::kCpu,
               cpu::dnnl_kernel<SoftmaxBackwardKernel<false>>("softmax_backward"));
  t.set_kernel("log_softmax_backward", Backend::kCpu,
               cpu::dnnl_kernel<SoftmaxBackwardKernel<true>>("log_softmax_backward"));
}

}  // namespace kiln
