// CPU batch_norm on oneDNN's batch_normalization, with x viewed as
// (N, C, spatial, 1) in NCHW order, separate scale and shift (2.6's
// use_scale | use_shift), and global statistics when not training.
#include <cstring>

#include "kernels/cpu/dnnl_util.h"
#include "kernels/ops/batch_norm.h"

namespace kiln {
namespace {

using dnnl::batch_normalization_backward;
using dnnl::batch_normalization_forward;
using dnnl::normalization_flags;
using dnnl::prop_kind;

normalization_flags flags_for(bool training) {
  const normalization_flags f = normalization_flags::use_scale | normalization_flags::use_shift;
  return training ? f : f | normalization_flags::use_global_stats;
}

dnnl::memory::desc data_md(const BatchNormGeometry& g) {
  return cpu::plain_md(cpu::DnnlDims{g.n, g.c, g.spatial, 1});
}

class BatchNormKernel final : public Kernel {
 public:
  explicit BatchNormKernel(const KernelArgs& args) {
    const BatchNormGeometry g =
        batch_norm_geometry(get_op("batch_norm"), args.inputs, 0, {1, 2, 3, 4});
    training_ = args.attrs.get_bool("training");
    stat_bytes_ = g.c * sizeof(float);
    if (g.n * g.spatial == 0) return;  // inference on an empty batch: only the copies
    const auto data = data_md(g), stat = cpu::plain_md(cpu::DnnlDims{g.c});
    const batch_normalization_forward::desc desc(
        training_ ? prop_kind::forward_training : prop_kind::forward_inference, data,
        static_cast<float>(args.attrs.get_float("eps")), flags_for(training_));
    const batch_normalization_forward::primitive_desc pd(desc, cpu::kernel_attr(),
                                                         cpu::dnnl_engine());
    step_ = cpu::DnnlStep(batch_normalization_forward(pd), pd);
    x_ = step_.arg(DNNL_ARG_SRC, data);
    y_ = step_.arg(DNNL_ARG_DST, data);
    scale_ = step_.arg(DNNL_ARG_SCALE, stat);
    shift_ = step_.arg(DNNL_ARG_SHIFT, stat);
    mean_ = step_.arg(DNNL_ARG_MEAN, stat);
    var_ = step_.arg(DNNL_ARG_VARIANCE, stat);
  }

  void run(const Tensor* in, Tensor* out) override {
    if (step_.defined()) {
      step_.set(x_, in[0].raw_data());
      step_.set(y_, out[0].raw_data());
      step_.set(scale_, in[1].raw_data());
      step_.set(shift_, in[2].raw_data());
      // Training writes the batch statistics; inference reads the running ones.
      step_.set(mean_, training_ ? out[1].raw_data() : in[3].raw_data());
      step_.set(var_, training_ ? out[2].raw_data() : in[4].raw_data());
      step_.execute();
    }
    if (!training_) {
      std::memcpy(out[1].raw_data(), in[3].raw_data(), stat_bytes_);
      std::memcpy(out[2].raw_data(), in[4].raw_data(), stat_bytes_);
    }
  }

 private:
  bool training_ = false;
  size_t stat_bytes_ = 0;
  cpu::DnnlStep step_;
  int x_ = -1, y_ = -1, scale_ = -1, shift_ = -1, mean_ = -1, var_ = -1;
};

class BatchNormBackwardKernel final : public Kernel {
 public:
  explicit BatchNormBackwardKernel(const KernelArgs& args) {
    const BatchNormGeometry g =
        batch_norm_geometry(get_op("batch_norm_backward"), args.inputs, 1, {2, 3, 4});
    stat_bytes_ = g.c * sizeof(float);
    if (g.n * g.spatial == 0) return;  // dx is empty; dweight and dbias are zero
    const bool training = args.attrs.get_bool("training");
    const float eps = static_cast<float>(args.attrs.get_float("eps"));
    const auto data = data_md(g), stat = cpu::plain_md(cpu::DnnlDims{g.c});
    const batch_normalization_forward::primitive_desc hint(
        batch_normalization_forward::desc(prop_kind::forward_training, data, eps,
                                          flags_for(training)),
        cpu::dnnl_engine());
    const batch_normalization_backward::desc desc(prop_kind::backward, data, data, eps,
                                                  flags_for(training));
    const batch_normalization_backward::primitive_desc pd(desc, cpu::kernel_attr(),
                                                          cpu::dnnl_engine(), hint);
    step_ = cpu::DnnlStep(batch_normalization_backward(pd), pd);
    dy_ = step_.arg(DNNL_ARG_DIFF_DST, data);
    x_ = step_.arg(DNNL_ARG_SRC, data);
    scale_ = step_.arg(DNNL_ARG_SCALE, stat);
    mean_ = step_.arg(DNNL_ARG_MEAN, stat);
    var_ = step_.arg(DNNL_ARG_VARIANCE, stat);
    dx_ = step_.arg(DNNL_ARG_DIFF_SRC, data);
    // oneDNN asks for the shift although the gradient does not depend on it.
    unused_shift_ = cpu::ScratchBuffer(stat.get_size());
    std::memset(unused_shift_.data(), 0, stat.get_size());
    step_.arg(DNNL_ARG_SHIFT, dnnl::memory(stat, cpu::dnnl_engine(), unused_shift_.data()));
    dscale_ = step_.arg(DNNL_ARG_DIFF_SCALE, stat);
    dshift_ = step_.arg(DNNL_ARG_DIFF_SHIFT, stat);
  }

  void run(const Tensor* in, Tensor* out) override {
    if (!step_.defined()) {
      std::memset(out[1].raw_data(), 0, stat_bytes_);
      std::memset(out[2].raw_data(), 0, stat_bytes_);
      return;
    }
    step_.set(dy_, in[0].raw_data());
    step_.set(x_, in[1].raw_data());
    step_.set(scale_, in[2].raw_data());
    step_.set(mean_, in[3].raw_data());
    step_.set(var_, in[4].raw_data());
    step_.set(dx_, out[0].raw_data());
    step_.set(dscale_, out[1].raw_data());
    step_.set(dshift_, out[2].raw_data());
    step_.execute();
  }

 private:
  size_t stat_bytes_ = 0;
  cpu::ScratchBuffer unused_shift_;
  cpu::DnnlStep step_;
  int dy_ = -1, x_ = -1, scale_ = -1, mean_ = -1, var_ = -1, dx_ = -1, dscale_ = -1,
      dshift_ = -1;
};

}  // namespace

void register_batch_norm_cpu(OpTable& t) {
  t.set_kernel("batch_norm", Backend::kCpu, cpu::dnnl_kernel<BatchNormKernel>("batch_norm"));
  t.set_kernel("batch_norm_backward", Backend::kCpu,
               cpu::dnnl_kernel<BatchNormBackwardKernel>("batch_norm_backward"));
}

}  // namespace kiln
