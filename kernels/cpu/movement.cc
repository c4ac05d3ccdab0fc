// CPU kernels of the movement family: each builds a strided view (of the
// input, or of the output for slice_backward, concat and pad) and copies with
// cpu::strided_copy, which coalesces dims, memcpy's contiguous runs, tiles
// transposes and splits the work across OpenMP threads. Inputs may be strided.
#include "kernels/ops/movement.h"

#include "kernels/cpu/copy.h"
#include "kernels/ops/axis_util.h"

namespace kiln {
namespace {

using cpu::fill;
using cpu::strided_copy;

void cpu_reshape(const Attrs&, const Tensor* in, Tensor* out) {
  strided_copy(in[0], out[0].reshape_view(in[0].shape()));
}

void cpu_broadcast_to(const Attrs&, const Tensor* in, Tensor* out) {
  strided_copy(in[0].broadcast_view(out[0].shape()), out[0]);
}

void cpu_transpose(const Attrs& a, const Tensor* in, Tensor* out) {
  strided_copy(in[0].permute(Dims(a.get_ints("perm"))), out[0]);
}

// slice and slice_backward: the spec is checked and expanded once, at prepare.
template <bool kBackward>
class SliceKernel final : public Kernel {
 public:
  explicit SliceKernel(const KernelArgs& args)
      : spec_(slice_spec(kBackward ? "slice_backward" : "slice", args.attrs,
                         kBackward ? args.outputs[0].shape : args.inputs[0].shape)) {}
  void run(const Tensor* in, Tensor* out) override {
    if (!kBackward) return strided_copy(slice_view(in[0], spec_), out[0]);
    fill(out[0], 0.0);
    strided_copy(in[0], slice_view(out[0], spec_));
  }

 private:
  SliceSpec spec_;
};

// Each input lands in its slab of the output along the axis.
class ConcatKernel final : public Kernel {
 public:
  explicit ConcatKernel(const KernelArgs& args)
      : axis_(checked_axis("concat", args.attrs.get_int("axis"), args.inputs[0].shape)),
        num_inputs_(args.inputs.size()) {}
  void run(const Tensor* in, Tensor* out) override {
    int64_t offset = 0;
    for (size_t i = 0; i < num_inputs_; ++i) {
      const int64_t n = in[i].shape()[axis_];
      strided_copy(in[i], out[0].slice(axis_, offset, offset + n, 1));
      offset += n;
    }
  }

 private:
  int axis_;
  size_t num_inputs_;
};

template <typename K>
KernelFactory prepared() {
  return
      [](const KernelArgs& args) -> std::unique_ptr<Kernel> { return std::make_unique<K>(args); };
}

// Copies x into the interior, then fills only the border: for each axis d,
// the slabs before and after the interior along d, within the interior
// along the axes before d (so the slabs partition the border).
void cpu_pad(const Attrs& a, const Tensor* in, Tensor* out) {
  const std::vector<int64_t>& pads = a.get_ints("pads");
  const double value = a.get_float("value");
  Tensor inner = out[0];
  for (int d = 0; d < in[0].rank(); ++d)
    inner = inner.slice(d, pads[2 * d], pads[2 * d] + in[0].shape()[d], 1);
  strided_copy(in[0], inner);
  Tensor rest = out[0];  // interior along axes < d, full along the others
  for (int d = 0; d < in[0].rank(); ++d) {
    const int64_t lo = pads[2 * d], hi = pads[2 * d] + in[0].shape()[d];
    fill(rest.slice(d, 0, lo, 1), value);
    fill(rest.slice(d, hi, rest.shape()[d], 1), value);
    rest = rest.slice(d, lo, hi, 1);
  }
}

void cpu_copy(const Attrs&, const Tensor* in, Tensor* out) { strided_copy(in[0], out[0]); }

}  // namespace

void register_movement_cpu(OpTable& t) {
  t.set_kernel("reshape", Backend::kCpu, stateless_kernel(cpu_reshape));
  t.set_kernel("broadcast_to", Backend::kCpu, stateless_kernel(cpu_broadcast_to));
  t.set_kernel("transpose", Backend::kCpu, stateless_kernel(cpu_transpose));
  t.set_kernel("slice", Backend::kCpu, prepared<SliceKernel<false>>());
  t.set_kernel("slice_backward", Backend::kCpu, prepared<SliceKernel<true>>());
  t.set_kernel("concat", Backend::kCpu, prepared<ConcatKernel>());
  t.set_kernel("pad", Backend::kCpu, stateless_kernel(cpu_pad));
  t.set_kernel("copy", Backend::kCpu, stateless_kernel(cpu_copy));
}

}  // namespace kiln
