// CPU conv2d and its backward ops on oneDNN. Each kernel builds its primitive
// once at prepare.
//
// NHWC activations (format="NHWC", what the CPU lowering gives inference
// graphs) are what oneDNN 2.6's brgconv works on directly on this AVX-512
// machine: the kernel binds kiln's tensors as they are and only the weights
// take the layout the primitive picks (format_tag::any).
//
// NCHW activations (eager code, training graphs): the primitive mostly picks
// its own layouts (NHWC or nChw16c) and the kernel reorders activations in
// and out through buffers it owns. Where plain layouts measured faster
// (use_blocked_layout) the primitive works on kiln's tensors directly.
//
// Weights change every training step, so they are reordered per run unless
// they are a graph constant (KernelArgs::constant_inputs): then once.
#include "kernels/ops/conv2d.h"

#include <cstring>

#include "kernels/cpu/dnnl_util.h"

namespace kiln {
namespace {

using cpu::DnnlDims;
using cpu::Operand;
using dnnl::algorithm;
using dnnl::memory;
using dnnl::prop_kind;

enum class ConvPass { kForward, kBackwardData, kBackwardWeight };

// Measured on this machine (AVX-512, oneDNN 2.6, one thread), format_tag::any
// vs plain NCHW, reorders included: any wins on 3x3/5x5/7x7 convs of every
// channel count (3x3 64->64 56x56: 2.2 vs 4.2 ms; C=3 7x7/2 first layer 2.6
// vs 5.9 ms; depthwise 32ch 0.21 vs 1.2 ms; backward passes alike); plain wins
// 1.2-2x on 1x1 convs (a plain GEMM, no reorders: 64->256 56x56 0.88 vs
// 1.46 ms) and on the data gradient of 1-3-channel inputs (12.4 vs 6.0 ms).
bool use_blocked_layout(const Conv2dGeometry& g, ConvPass pass) {
  if (g.kh == 1 && g.kw == 1 && g.padding[0] == 0 && g.padding[1] == 0 && g.groups == 1)
    return false;
  if (pass == ConvPass::kBackwardData && g.groups == 1 && g.c <= 3) return false;
  return true;
}

struct ConvDescs {
  DnnlDims src, wei, dst, strides, dilates, pad_l, pad_r;
  memory::desc user_src, user_wei, user_dst;  // kiln's layouts
  bool any_activations, any_weights;          // let the primitive choose
  bool plain_dst = false;  // dst in kiln's layout whatever src takes (a sum post-op reads it)

  ConvDescs(const Conv2dGeometry& g, ConvPass pass) {
    src = {g.n, g.c, g.h, g.w};
    dst = {g.n, g.o, g.oh, g.ow};
    if (g.groups == 1)
      wei = {g.o, g.c, g.kh, g.kw};
    else
      wei = {g.groups, g.o / g.groups, g.c / g.groups, g.kh, g.kw};
    strides = {g.stride[0], g.stride[1]};
    dilates = {g.dilation[0] - 1, g.dilation[1] - 1};  // oneDNN counts the gaps
    pad_l = {g.padding[0], g.padding[1]};
    pad_r = pad_l;  // oneDNN floors (in + l + r - span) / stride, as infer does
    user_src = cpu::activation_md(g.layout, g.input_dims());
    user_wei = cpu::plain_md(wei);
    user_dst = cpu::activation_md(g.layout, g.output_dims());
    any_activations = g.layout == Layout::kNCHW && use_blocked_layout(g, pass);
    any_weights = g.layout == Layout::kNHWC || any_activations;
  }
  memory::desc src_md() const { return any_activations ? cpu::any_md(src) : user_src; }
  memory::desc wei_md() const { return any_weights ? cpu::any_md(wei) : user_wei; }
  memory::desc dst_md() const {
    return any_activations && !plain_dst ? cpu::any_md(dst) : user_dst;
  }

  // Fused post-ops (inference only): accumulate adds what dst holds (the
  // residual), relu then takes min(max(y, 0), relu_max).
  dnnl::convolution_forward::primitive_desc forward_pd(
      prop_kind prop, const memory::desc& bias, bool accumulate = false, bool relu = false,
      double relu_max = std::numeric_limits<double>::infinity()) const {
    const dnnl::convolution_forward::desc desc(prop, algorithm::convolution_direct, src_md(),
                                               wei_md(), bias, dst_md(), strides, dilates, pad_l,
                                               pad_r);
    return {desc, cpu::fused_kernel_attr(accumulate, relu, relu_max), cpu::dnnl_engine()};
  }
};

class Conv2dKernel final : public Kernel {
 public:
  explicit Conv2dKernel(const KernelArgs& args) {
    const Conv2dGeometry g =
        conv2d_geometry(get_op("conv2d"), args.attrs, args.inputs[0].shape, args.inputs[1].shape);
    if (g.n == 0 || g.oh == 0 || g.ow == 0) return;
    const bool residual = args.attrs.get_bool("residual");
    const bool has_bias = conv2d_has_bias(args.attrs, args.inputs.size());
    if (residual) {
      residual_input_ = static_cast<int>(args.inputs.size()) - 1;
      residual_bytes_ = args.outputs[0].shape.numel() * sizeof(float);
    }
    ConvDescs d(g, ConvPass::kForward);
    d.plain_dst = residual;
    const auto pd = d.forward_pd(prop_kind::forward_inference,
                                 has_bias ? cpu::plain_md(DnnlDims{g.o}) : memory::desc(), residual,
                                 args.attrs.get_bool("relu"), args.attrs.get_float("relu_max"));
    step_ = cpu::DnnlStep(dnnl::convolution_forward(pd), pd);
    src_ = Operand::input(d.user_src, pd.src_desc());
    wei_ = Operand::input(d.user_wei, pd.weights_desc());
    dst_ = Operand::output(d.user_dst, pd.dst_desc());
    src_slot_ = src_.bind(step_, DNNL_ARG_SRC);
    wei_slot_ = wei_.bind(step_, DNNL_ARG_WEIGHTS);
    dst_slot_ = dst_.bind(step_, DNNL_ARG_DST);
    if (has_bias) bias_slot_ = step_.arg(DNNL_ARG_BIAS, pd.bias_desc());
    constant_weights_ = (args.constant_inputs >> 1) & 1u;
  }

  void run(const Tensor* in, Tensor* out) override {
    if (!step_.defined()) return;
    step_.set(src_slot_, src_.prepare_data(in[0].raw_data()));
    if (packed_weights_ == nullptr || !constant_weights_) {
      packed_weights_ = wei_.prepare_data(in[1].raw_data());
      step_.set(wei_slot_, packed_weights_);
    }
    if (bias_slot_ >= 0) step_.set(bias_slot_, in[2].raw_data());
    // The sum post-op accumulates into dst: start it from the residual,
    // unless the planner put the output over the residual's buffer.
    if (residual_input_ >= 0 && in[residual_input_].raw_data() != out[0].raw_data())
      std::memcpy(out[0].raw_data(), in[residual_input_].raw_data(), residual_bytes_);
    step_.set(dst_slot_, dst_.prepare_data(out[0].raw_data()));
    step_.execute();
    dst_.finish(out[0].raw_data());
  }

 private:
  cpu::DnnlStep step_;
  Operand src_, wei_, dst_;
  int src_slot_ = -1, wei_slot_ = -1, dst_slot_ = -1, bias_slot_ = -1;
  int residual_input_ = -1;
  size_t residual_bytes_ = 0;
  bool constant_weights_ = false;
  void* packed_weights_ = nullptr;  // with constant weights: reordered on the first run
};

// conv2d_backward_data (dy, w -> dx) and conv2d_backward_weight (dy, x -> dw):
// one primitive reading two tensors and writing one, each through an Operand.
class Conv2dBackwardKernel final : public Kernel {
 public:
  Conv2dBackwardKernel(const KernelArgs& args, ConvPass pass) {
    const bool data = pass == ConvPass::kBackwardData;
    const Conv2dGeometry g = data ? conv2d_geometry(get_op("conv2d_backward_data"), args.attrs,
                                                    args.outputs[0].shape, args.inputs[1].shape)
                                  : conv2d_geometry(get_op("conv2d_backward_weight"), args.attrs,
                                                    args.inputs[1].shape, args.outputs[0].shape);
    // No batch: dx is empty, dw is zero.
    if (args.inputs[0].shape.numel() == 0 || args.outputs[0].shape.numel() == 0) {
      zero_bytes_ = args.outputs[0].shape.numel() * sizeof(float);
      return;
    }
    const ConvDescs d(g, pass);
    const auto hint = d.forward_pd(prop_kind::forward_training, memory::desc());
    if (data) {
      const dnnl::convolution_backward_data::primitive_desc pd(
          {algorithm::convolution_direct, d.src_md(), d.wei_md(), d.dst_md(), d.strides, d.dilates,
           d.pad_l, d.pad_r},
          cpu::kernel_attr(), cpu::dnnl_engine(), hint);
      step_ = cpu::DnnlStep(dnnl::convolution_backward_data(pd), pd);
      bind({Operand::input(d.user_dst, pd.diff_dst_desc()), DNNL_ARG_DIFF_DST},
           {Operand::input(d.user_wei, pd.weights_desc()), DNNL_ARG_WEIGHTS},
           {Operand::output(d.user_src, pd.diff_src_desc()), DNNL_ARG_DIFF_SRC});
    } else {
      const dnnl::convolution_backward_weights::primitive_desc pd(
          {algorithm::convolution_direct, d.src_md(), d.wei_md(), d.dst_md(), d.strides, d.dilates,
           d.pad_l, d.pad_r},
          cpu::kernel_attr(), cpu::dnnl_engine(), hint);
      step_ = cpu::DnnlStep(dnnl::convolution_backward_weights(pd), pd);
      bind({Operand::input(d.user_dst, pd.diff_dst_desc()), DNNL_ARG_DIFF_DST},
           {Operand::input(d.user_src, pd.src_desc()), DNNL_ARG_SRC},
           {Operand::output(d.user_wei, pd.diff_weights_desc()), DNNL_ARG_DIFF_WEIGHTS});
    }
  }

  void run(const Tensor* in, Tensor* out) override {
    if (!step_.defined()) {
      if (zero_bytes_ > 0) std::memset(out[0].raw_data(), 0, zero_bytes_);
      return;
    }
    step_.set(slots_[0], operands_[0].prepare_data(in[0].raw_data()));
    step_.set(slots_[1], operands_[1].prepare_data(in[1].raw_data()));
    step_.set(slots_[2], operands_[2].prepare_data(out[0].raw_data()));
    step_.execute();
    operands_[2].finish(out[0].raw_data());
  }

 private:
  struct Arg {
    Operand operand;
    int dnnl_arg;
  };
  void bind(Arg a, Arg b, Arg out) {
    int i = 0;
    for (Arg* arg : {&a, &b, &out}) {
      operands_[i] = arg->operand;
      slots_[i] = operands_[i].bind(step_, arg->dnnl_arg);
      ++i;
    }
  }

  size_t zero_bytes_ = 0;
  cpu::DnnlStep step_;
  Operand operands_[3];  // the two inputs, then the output
  int slots_[3] = {-1, -1, -1};
};

}  // namespace

void register_conv2d_cpu(OpTable& t) {
  t.set_kernel("conv2d", Backend::kCpu, cpu::dnnl_kernel<Conv2dKernel>("conv2d"));
  t.set_kernel(
      "conv2d_backward_data", Backend::kCpu,
      cpu::dnnl_kernel<Conv2dBackwardKernel>("conv2d_backward_data", ConvPass::kBackwardData));
  t.set_kernel(
      "conv2d_backward_weight", Backend::kCpu,
      cpu::dnnl_kernel<Conv2dBackwardKernel>("conv2d_backward_weight", ConvPass::kBackwardWeight));
}

}  // namespace kiln
