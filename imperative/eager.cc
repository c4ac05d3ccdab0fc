#include "imperative/eager.h"

#include <unordered_map>

#include "kernels/core/error.h"

namespace kiln {
namespace imperative {
namespace {

struct CachedKernel {
  const OpDef* def;
  Attrs attrs;
  std::vector<TensorMeta> inputs;
  std::unique_ptr<Kernel> kernel;
};

// Bounded: a workload that keeps changing shapes rebuilds rather than grows.
constexpr size_t kMaxCachedKernels = 4096;

class KernelCache {
 public:
  Kernel& get(const OpCall& op, const std::vector<TensorMeta>& in,
              const std::vector<TensorMeta>& out) {
    size_t h = op.hash;
    for (const TensorMeta& m : in) h = h * 31 + m.shape.hash() * 7 + static_cast<size_t>(m.dtype);
    auto& bucket = entries_[h];
    for (CachedKernel& e : bucket)
      if (e.def == op.def && e.inputs == in && e.attrs == op.attrs) return *e.kernel;
    if (size_ >= kMaxCachedKernels) {
      entries_.clear();
      size_ = 0;
      return get(op, in, out);
    }
    auto kernel = op.def->prepare(Backend::kCpu, op.attrs, in, out);
    bucket.push_back({op.def, op.attrs, in, std::move(kernel)});
    ++size_;
    return *bucket.back().kernel;
  }
  void clear() { entries_.clear(); size_ = 0; }
  size_t size() const { return size_; }

 private:
  std::unordered_map<size_t, std::vector<CachedKernel>> entries_;
  size_t size_ = 0;
};

KernelCache& cache() {
  static KernelCache* c = new KernelCache();
  return *c;
}

// A movement op is a view unless it would need to copy (reshape of a
// non-contiguous tensor).
bool can_view(const OpCall& op, const Tensor& input) {
  return op.def->view != nullptr && (op.def->kind != OpKind::kMovement ||
                                     op.name() != "reshape" || input.is_contiguous());
}

}  // namespace

std::vector<Tensor> execute(const OpCall& op, const std::vector<Tensor>& inputs) {
  thread_local std::vector<TensorMeta> in_metas;  // reused: no allocation per call
  in_metas.clear();
  for (const Tensor& t : inputs) in_metas.push_back(t.meta());
  std::vector<TensorMeta> out_metas = op.def->infer_outputs(op.attrs, in_metas);
  if (!inputs.empty() && can_view(op, inputs[0])) return {op.def->view(op.attrs, inputs[0])};

  std::vector<Tensor> outputs;
  outputs.reserve(out_metas.size());
  for (const TensorMeta& m : out_metas) outputs.push_back(Tensor::empty(m));
  const Tensor* in = inputs.data();
  std::vector<Tensor> packed;
  if (!op.def->accepts_strided_inputs) {
    packed.reserve(inputs.size());
    for (const Tensor& t : inputs) packed.push_back(t.contiguous());
    in = packed.data();
  }
  // Stateless kernels have nothing to prepare: call them without the cache.
  if (KernelFn direct = op.def->kernels[static_cast<int>(Backend::kCpu)].direct) {
    direct(op.attrs, in, outputs.data());
  } else {
    cache().get(op, in_metas, out_metas).run(in, outputs.data());
  }
  return outputs;
}

HandleList EagerLayer::apply(const OpCall& op, const HandleList& inputs) {
  // Reused across calls (kernels never dispatch, so this is not re-entered);
  // cleared below so it holds no storage between calls.
  thread_local std::vector<Tensor> values;
  for (const HandlePtr& h : inputs) {
    KILN_CHECK(h->value().defined(), kValue, op.name(),
               ": an input comes from a symbolic trace and has no value");
    values.push_back(h->value());
  }
  std::vector<Tensor> outputs;
  try {
    outputs = execute(op, values);
  } catch (...) {
    values.clear();
    throw;
  }
  values.clear();
  HandleList out;
  out.reserve(outputs.size());
  for (Tensor& t : outputs) out.push_back(make_handle(std::move(t)));
  return out;
}

EagerLayer& EagerLayer::instance() {
  static EagerLayer* layer = new EagerLayer();
  return *layer;
}

void clear_kernel_cache() { cache().clear(); }
size_t kernel_cache_size() { return cache().size(); }

}  // namespace imperative
}  // namespace kiln
