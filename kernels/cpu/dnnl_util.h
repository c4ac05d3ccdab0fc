// oneDNN plumbing shared by the CPU kernels: one engine for the process and
// one stream per thread, memory descriptors for kiln's plain float32 tensors,
// and the two objects a library-backed kernel is built from:
//
//   DnnlStep  a primitive with its arguments bound at prepare, so that run()
//             only points them at data and executes (no argument maps, no
//             allocation: scratchpads are kernel-owned, "user" mode);
//   Operand   one tensor argument whose plain layout may differ from the one
//             the primitive chose (format_tag::any); then a reorder, built at
//             prepare, moves the data through a kernel-owned buffer.
#pragma once

#include <cstddef>
#include <limits>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <vector>

#include "kernels/core/error.h"
#include "kernels/core/storage.h"
#include "kernels/kernel.h"
#include "kernels/ops/layout.h"

namespace kiln {
namespace cpu {

const dnnl::engine& dnnl_engine();
const dnnl::stream& dnnl_stream();

using DnnlDims = dnnl::memory::dims;
DnnlDims to_dnnl_dims(const Shape& shape);
// float32, row-major contiguous.
dnnl::memory::desc plain_md(const DnnlDims& dims);
inline dnnl::memory::desc plain_md(const Shape& shape) { return plain_md(to_dnnl_dims(shape)); }
// float32 with explicit strides (elements).
dnnl::memory::desc strided_md(const DnnlDims& dims, const DnnlDims& strides);
// float32, a packed 4-d activation in `layout` (oneDNN's dims stay NCHW).
dnnl::memory::desc activation_md(Layout layout, const Nchw& d);
// float32, layout left to the primitive.
dnnl::memory::desc any_md(const DnnlDims& dims);

// The attributes every kiln primitive is created with: the scratchpad belongs
// to the kernel (allocated at prepare), so execution never allocates.
dnnl::primitive_attr kernel_attr();
// kernel_attr() plus post-ops: with accumulate, a sum post-op (result +=
// what dst held before); with relu, then dst = min(max(result, 0), relu_max).
dnnl::primitive_attr fused_kernel_attr(bool accumulate, bool relu,
                                       double relu_max = std::numeric_limits<double>::infinity());

// Bytes owned by a kernel, from the CPU allocator, allocated at prepare.
class ScratchBuffer {
 public:
  ScratchBuffer() = default;
  explicit ScratchBuffer(size_t nbytes);
  void* data() const { return storage_ ? storage_->data() : nullptr; }
  size_t nbytes() const { return storage_ ? storage_->nbytes() : 0; }

 private:
  std::shared_ptr<Storage> storage_;
};

class DnnlStep {
 public:
  DnnlStep() = default;
  // Allocates the primitive's scratchpad, if it needs one.
  DnnlStep(const dnnl::primitive& prim, const dnnl::primitive_desc_base& pd);
  bool defined() const { return static_cast<bool>(prim_); }

  // An argument whose data is given at run time (set); returns its slot.
  int arg(int dnnl_arg, const dnnl::memory::desc& md);
  // An argument bound once to kernel-owned memory.
  void arg(int dnnl_arg, const dnnl::memory& mem);

  // Points a slot at data; a no-op when it already points there (so padded
  // blocked buffers are not re-zeroed and graph arenas cost nothing).
  void set(int slot, const void* data);
  void execute() const;

 private:
  dnnl::primitive prim_;
  std::vector<dnnl::memory> mems_;  // keeps the handles in args_ alive
  std::vector<dnnl_exec_arg_t> args_;
  std::vector<const void*> bound_;
  ScratchBuffer scratchpad_;
};

class Operand {
 public:
  Operand() = default;
  // user: the kernel's plain layout; prim: the layout the primitive asked for.
  static Operand input(const dnnl::memory::desc& user, const dnnl::memory::desc& prim);
  static Operand output(const dnnl::memory::desc& user, const dnnl::memory::desc& prim);

  const dnnl::memory::desc& prim_md() const { return prim_md_; }
  bool reorders() const { return reorder_.defined(); }

  // Binds this operand as `dnnl_arg` of `step`; keep the slot for data().
  int bind(DnnlStep& step, int dnnl_arg) const;
  // At run time: the address the primitive must see for the user's tensor.
  // An input is reordered into the kernel's buffer first when layouts differ.
  void* prepare_data(const void* user);
  // After the primitive ran: an output is reordered back into the user's tensor.
  void finish(void* user);

 private:
  Operand(const dnnl::memory::desc& user, const dnnl::memory::desc& prim, bool is_input);
  dnnl::memory::desc prim_md_;
  dnnl::memory buffer_;  // prim layout, kernel-owned; only when reordering
  ScratchBuffer storage_;
  DnnlStep reorder_;
  int user_slot_ = -1;
  bool is_input_ = true;
};

// A kernel factory for K(const KernelArgs&, extra...) that turns a oneDNN
// failure at prepare into a kiln RuntimeError naming the op, its inputs and
// attrs.
[[noreturn]] void rethrow_dnnl_error(const char* op, const KernelArgs& args, const dnnl::error& e);
template <typename K, typename... Extra>
KernelFactory dnnl_kernel(const char* op, Extra... extra) {
  return [op, extra...](const KernelArgs& args) -> std::unique_ptr<Kernel> {
    try {
      return std::make_unique<K>(args, extra...);
    } catch (const dnnl::error& e) {
      rethrow_dnnl_error(op, args, e);
    }
  };
}

}  // namespace cpu
}  // namespace kiln
