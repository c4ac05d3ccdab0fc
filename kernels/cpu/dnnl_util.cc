#include "kernels/cpu/dnnl_util.h"

#include <oneapi/dnnl/dnnl_debug.h>

#include <cmath>

#include "kernels/infer_util.h"

namespace kiln {
namespace cpu {

const dnnl::engine& dnnl_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// One stream per thread: runtime Sessions on several threads share a Model
// (and so no kernels), but would otherwise share this stream.
const dnnl::stream& dnnl_stream() {
  thread_local const dnnl::stream stream(dnnl_engine());
  return stream;
}

DnnlDims to_dnnl_dims(const Shape& shape) { return DnnlDims(shape.begin(), shape.end()); }

dnnl::memory::desc plain_md(const DnnlDims& dims) {
  DnnlDims strides(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * std::max<dnnl::memory::dim>(dims[i + 1], 1);
  return strided_md(dims, strides);
}

dnnl::memory::desc strided_md(const DnnlDims& dims, const DnnlDims& strides) {
  return dnnl::memory::desc(dims, dnnl::memory::data_type::f32, strides);
}

dnnl::memory::desc activation_md(Layout layout, const Nchw& d) {
  return dnnl::memory::desc(
      {d.n, d.c, d.h, d.w}, dnnl::memory::data_type::f32,
      layout == Layout::kNCHW ? dnnl::memory::format_tag::nchw : dnnl::memory::format_tag::nhwc);
}

dnnl::memory::desc any_md(const DnnlDims& dims) {
  return dnnl::memory::desc(dims, dnnl::memory::data_type::f32, dnnl::memory::format_tag::any);
}

dnnl::primitive_attr kernel_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

dnnl::primitive_attr fused_kernel_attr(bool accumulate, bool relu, double relu_max) {
  dnnl::primitive_attr attr = kernel_attr();
  dnnl::post_ops ops;
  if (accumulate) ops.append_sum(1.0f);
  if (relu && std::isinf(relu_max))
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
  else if (relu)  // clip: alpha and beta are the bounds
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, 0.0f, static_cast<float>(relu_max));
  attr.set_post_ops(ops);
  return attr;
}

ScratchBuffer::ScratchBuffer(size_t nbytes) {
  if (nbytes > 0) storage_ = Storage::allocate(nbytes);
}

DnnlStep::DnnlStep(const dnnl::primitive& prim, const dnnl::primitive_desc_base& pd) : prim_(prim) {
  const dnnl::memory::desc md = pd.scratchpad_desc();
  if (md.get_size() > 0) {
    scratchpad_ = ScratchBuffer(md.get_size());
    arg(DNNL_ARG_SCRATCHPAD, dnnl::memory(md, dnnl_engine(), scratchpad_.data()));
  }
}

int DnnlStep::arg(int dnnl_arg, const dnnl::memory::desc& md) {
  mems_.emplace_back(md, dnnl_engine(), static_cast<void*>(DNNL_MEMORY_NONE));
  args_.push_back({dnnl_arg, mems_.back().get()});
  bound_.push_back(nullptr);
  return static_cast<int>(args_.size()) - 1;
}

void DnnlStep::arg(int dnnl_arg, const dnnl::memory& mem) {
  mems_.push_back(mem);
  args_.push_back({dnnl_arg, mem.get()});
  bound_.push_back(mem.get_data_handle());
}

void DnnlStep::set(int slot, const void* data) {
  if (slot < 0 || bound_[slot] == data) return;
  mems_[slot].set_data_handle(const_cast<void*>(data));
  bound_[slot] = data;
}

void DnnlStep::execute() const {
  const dnnl_status_t status = dnnl_primitive_execute(prim_.get(), dnnl_stream().get(),
                                                      static_cast<int>(args_.size()), args_.data());
  KILN_CHECK(status == dnnl_success, kRuntime, "oneDNN failed to execute a ",
             dnnl_prim_kind2str(static_cast<dnnl_primitive_kind_t>(prim_.get_kind())),
             " primitive (status ", static_cast<int>(status), ")");
}

Operand::Operand(const dnnl::memory::desc& user, const dnnl::memory::desc& prim, bool is_input)
    : prim_md_(prim), is_input_(is_input) {
  if (user == prim) return;
  storage_ = ScratchBuffer(prim.get_size());
  buffer_ = dnnl::memory(prim, dnnl_engine(), storage_.data());
  const dnnl::memory::desc& from = is_input ? user : prim;
  const dnnl::memory::desc& to = is_input ? prim : user;
  const dnnl::reorder::primitive_desc pd(dnnl_engine(), from, dnnl_engine(), to, kernel_attr());
  reorder_ = DnnlStep(dnnl::reorder(pd), pd);
  if (is_input) {
    user_slot_ = reorder_.arg(DNNL_ARG_FROM, user);
    reorder_.arg(DNNL_ARG_TO, buffer_);
  } else {
    reorder_.arg(DNNL_ARG_FROM, buffer_);
    user_slot_ = reorder_.arg(DNNL_ARG_TO, user);
  }
}

Operand Operand::input(const dnnl::memory::desc& user, const dnnl::memory::desc& prim) {
  return Operand(user, prim, true);
}

Operand Operand::output(const dnnl::memory::desc& user, const dnnl::memory::desc& prim) {
  return Operand(user, prim, false);
}

int Operand::bind(DnnlStep& step, int dnnl_arg) const {
  if (reorders()) {
    step.arg(dnnl_arg, buffer_);
    return -1;
  }
  return step.arg(dnnl_arg, prim_md_);
}

void* Operand::prepare_data(const void* user) {
  if (!reorders()) return const_cast<void*>(user);
  reorder_.set(user_slot_, user);
  if (is_input_) reorder_.execute();
  return buffer_.get_data_handle();
}

void Operand::finish(void* user) {
  if (!reorders() || is_input_) return;
  reorder_.set(user_slot_, user);
  reorder_.execute();
}

[[noreturn]] void rethrow_dnnl_error(const char* op, const KernelArgs& args, const dnnl::error& e) {
  throw_error(ErrorKind::kRuntime, op, ": oneDNN could not prepare a CPU kernel for inputs ",
              describe_inputs(args.inputs), " with attrs {", args.attrs.str(), "}: ", e.what());
}

}  // namespace cpu
}  // namespace kiln
