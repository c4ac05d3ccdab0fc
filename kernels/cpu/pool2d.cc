// CPU pooling on oneDNN, on kiln's NCHW or NHWC tensors as they are (oneDNN's
// jit pooling handles both plain layouts itself). max_pool2d_backward gets only x and dy through
// the graph, so its kernel re-runs the forward primitive in training mode into buffers it owns
// (pooled values and the argmax workspace) and feeds that workspace to the backward primitive.
#include "kernels/ops/pool2d.h"

#include "kernels/cpu/dnnl_util.h"

namespace kiln {
namespace {

using cpu::DnnlDims;
using dnnl::algorithm;
using dnnl::memory;
using dnnl::pooling_backward;
using dnnl::pooling_forward;
using dnnl::prop_kind;

struct PoolDescs {
  DnnlDims strides, kernel, pad_l, pad_r;
  memory::desc src, dst;  // kiln's layout
  algorithm alg;

  PoolDescs(const Pool2dGeometry& g, bool max) {
    strides = {g.stride[0], g.stride[1]};
    kernel = {g.kernel[0], g.kernel[1]};
    pad_l = {g.padding[0], g.padding[1]};
    pad_r = pad_l;  // oneDNN floors the output size, as infer does
    src = cpu::activation_md(g.layout, g.input_dims());
    dst = cpu::activation_md(g.layout, g.output_dims());
    alg = max                   ? algorithm::pooling_max
          : g.count_include_pad ? algorithm::pooling_avg_include_padding
                                : algorithm::pooling_avg_exclude_padding;
  }
  pooling_forward::primitive_desc forward_pd(prop_kind prop) const {
    return {pooling_forward::desc(prop, alg, src, dst, strides, kernel, pad_l, pad_r),
            cpu::kernel_attr(), cpu::dnnl_engine()};
  }
  pooling_backward::primitive_desc backward_pd(const pooling_forward::primitive_desc& hint) const {
    return {pooling_backward::desc(alg, src, dst, strides, kernel, pad_l, pad_r),
            cpu::kernel_attr(), cpu::dnnl_engine(), hint};
  }
};

template <bool kMax>
class Pool2dKernel final : public Kernel {
 public:
  explicit Pool2dKernel(const KernelArgs& args) {
    const char* name = kMax ? "max_pool2d" : "avg_pool2d";
    const Pool2dGeometry g = pool2d_geometry(get_op(name), args.attrs, args.inputs[0].shape);
    if (args.outputs[0].shape.numel() == 0) return;
    const PoolDescs d(g, kMax);
    const auto pd = d.forward_pd(prop_kind::forward_inference);
    step_ = cpu::DnnlStep(pooling_forward(pd), pd);
    src_ = step_.arg(DNNL_ARG_SRC, d.src);
    dst_ = step_.arg(DNNL_ARG_DST, d.dst);
  }

  void run(const Tensor* in, Tensor* out) override {
    if (!step_.defined()) return;
    step_.set(src_, in[0].raw_data());
    step_.set(dst_, out[0].raw_data());
    step_.execute();
  }

 private:
  cpu::DnnlStep step_;
  int src_ = -1, dst_ = -1;
};

class MaxPool2dBackwardKernel final : public Kernel {
 public:
  explicit MaxPool2dBackwardKernel(const KernelArgs& args) {
    const Pool2dGeometry g =
        pool2d_geometry(get_op("max_pool2d_backward"), args.attrs, args.inputs[0].shape);
    if (args.outputs[0].shape.numel() == 0) return;
    const PoolDescs d(g, true);
    const auto fwd_pd = d.forward_pd(prop_kind::forward_training);
    const auto bwd_pd = d.backward_pd(fwd_pd);
    pooled_ = cpu::ScratchBuffer(d.dst.get_size());
    workspace_ = cpu::ScratchBuffer(fwd_pd.workspace_desc().get_size());
    const memory pooled(d.dst, cpu::dnnl_engine(), pooled_.data());
    const memory workspace(fwd_pd.workspace_desc(), cpu::dnnl_engine(), workspace_.data());

    forward_ = cpu::DnnlStep(pooling_forward(fwd_pd), fwd_pd);
    x_ = forward_.arg(DNNL_ARG_SRC, d.src);
    forward_.arg(DNNL_ARG_DST, pooled);
    forward_.arg(DNNL_ARG_WORKSPACE, workspace);

    backward_ = cpu::DnnlStep(pooling_backward(bwd_pd), bwd_pd);
    dy_ = backward_.arg(DNNL_ARG_DIFF_DST, d.dst);
    dx_ = backward_.arg(DNNL_ARG_DIFF_SRC, d.src);
    backward_.arg(DNNL_ARG_WORKSPACE, workspace);
  }

  void run(const Tensor* in, Tensor* out) override {
    if (!forward_.defined()) return;
    forward_.set(x_, in[0].raw_data());
    forward_.execute();
    backward_.set(dy_, in[1].raw_data());
    backward_.set(dx_, out[0].raw_data());
    backward_.execute();
  }

 private:
  cpu::ScratchBuffer pooled_, workspace_;
  cpu::DnnlStep forward_, backward_;
  int x_ = -1, dy_ = -1, dx_ = -1;
};

class AvgPool2dBackwardKernel final : public Kernel {
 public:
  explicit AvgPool2dBackwardKernel(const KernelArgs& args) {
    const Pool2dGeometry g =
        pool2d_geometry(get_op("avg_pool2d_backward"), args.attrs, args.outputs[0].shape);
    if (args.outputs[0].shape.numel() == 0) return;
    const PoolDescs d(g, false);
    const auto bwd_pd = d.backward_pd(d.forward_pd(prop_kind::forward_training));
    step_ = cpu::DnnlStep(pooling_backward(bwd_pd), bwd_pd);
    dy_ = step_.arg(DNNL_ARG_DIFF_DST, d.dst);
    dx_ = step_.arg(DNNL_ARG_DIFF_SRC, d.src);
  }

  void run(const Tensor* in, Tensor* out) override {
    if (!step_.defined()) return;
    step_.set(dy_, in[0].raw_data());
    step_.set(dx_, out[0].raw_data());
    step_.execute();
  }

 private:
  cpu::DnnlStep step_;
  int dy_ = -1, dx_ = -1;
};

}  // namespace

void register_pool2d_cpu(OpTable& t) {
  t.set_kernel("max_pool2d", Backend::kCpu, cpu::dnnl_kernel<Pool2dKernel<true>>("max_pool2d"));
  t.set_kernel("avg_pool2d", Backend::kCpu, cpu::dnnl_kernel<Pool2dKernel<false>>("avg_pool2d"));
  t.set_kernel("max_pool2d_backward", Backend::kCpu,
               cpu::dnnl_kernel<MaxPool2dBackwardKernel>("max_pool2d_backward"));
  t.set_kernel("avg_pool2d_backward", Backend::kCpu,
               cpu::dnnl_kernel<AvgPool2dBackwardKernel>("avg_pool2d_backward"));
}

}  // namespace kiln
