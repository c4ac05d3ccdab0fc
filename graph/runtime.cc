#include "graph/runtime.h"

#include <algorithm>

#include "graph/executor.h"
#include "graph/pass_manager.h"
#include "graph/shape_inference.h"
#include "kernels/core/error.h"

namespace kiln {

namespace kg = ::kiln::graph;

std::string TensorSpec::str() const {
  std::string out = str_cat(name, ": ", dtype_name(dtype), "(");
  for (size_t d = 0; d < shape.size(); ++d)
    out += str_cat(d ? ", " : "", shape[d] < 0 ? std::string("?") : std::to_string(shape[d]));
  return out + (shape.size() == 1 ? ",)" : ")");
}

struct Model::Impl {
  kg::Graph graph;
  kg::Graph lowered;  // what Sessions compile: graph after kg::lower_for_cpu
  Metadata metadata;
  std::vector<TensorSpec> inputs, outputs;
};

namespace {

std::string spec_list(const std::vector<TensorSpec>& specs) {
  std::string out;
  for (const TensorSpec& s : specs) out += (out.empty() ? "" : ", ") + s.str();
  return out.empty() ? "(none)" : out;
}

// Output dims that change when the dynamic input dims do: inferred at the
// traced sizes and at two other sizes (two, since a strided op may map
// neighbouring sizes to one). A size the graph rejects proves nothing.
std::vector<TensorSpec> output_specs(const kg::Graph& g) {
  std::vector<TensorSpec> specs;
  for (const kg::NamedValue& o : g.outputs()) {
    const TensorMeta& m = g.value(o.value).meta;
    specs.push_back({o.name, m.dtype, m.shape.vec()});
  }
  if (!kg::has_dynamic_inputs(g)) return specs;
  for (int variant = 1; variant <= 2; ++variant) {
    const std::vector<TensorMeta> metas = kg::varied_input_metas(g, variant);
    kg::Graph other;
    try {
      other = kg::infer_shapes(g, metas);
    } catch (const Error&) {
      continue;
    }
    for (size_t k = 0; k < specs.size(); ++k) {
      const Shape& s = other.value(other.outputs()[k].value).meta.shape;
      for (int d = 0; d < s.rank(); ++d)
        if (s[d] != specs[k].shape[d]) specs[k].shape[d] = -1;
    }
  }
  return specs;
}

}  // namespace

Model Model::from_graph(kg::Graph g, Metadata metadata) {
  kg::verify(g);
  auto impl = std::make_shared<Impl>();
  for (kg::ValueId v : g.inputs()) {
    const kg::Value& value = g.value(v);
    impl->inputs.push_back({value.name, value.meta.dtype, kg::declared_shape(value)});
  }
  impl->outputs = output_specs(g);
  impl->lowered = g;
  kg::lower_for_cpu(impl->lowered);
  impl->graph = std::move(g);
  impl->metadata = std::move(metadata);
  return Model(std::move(impl));
}

const std::vector<TensorSpec>& Model::inputs() const { return impl_->inputs; }
const std::vector<TensorSpec>& Model::outputs() const { return impl_->outputs; }
const Metadata& Model::metadata() const { return impl_->metadata; }
const kg::Graph& Model::graph() const { return impl_->graph; }

struct Session::Entry {
  std::vector<Shape> signature;
  std::unique_ptr<kg::Executable> executable;
  std::vector<Tensor> outputs;
  uint64_t last_used = 0;
};

Session::Session(const Model& model, SessionOptions options) : model_(model), options_(options) {
  KILN_CHECK(options_.max_cached_signatures >= 1, kValue,
             "session: max_cached_signatures must be >= 1");
  const kg::Graph& g = model_.graph();
  inputs_.resize(g.inputs().size());
  for (kg::ValueId s : g.states()) states_.push_back(g.tensor(s).clone());
}

Session::~Session() = default;

void Session::set_input(const std::string& name, const Tensor& value) {
  const kg::Graph& g = model_.graph();
  const std::vector<kg::ValueId>& ids = g.inputs();
  size_t i = 0;
  while (i < ids.size() && g.value(ids[i]).name != name) ++i;
  KILN_CHECK(i < ids.size(), kValue, "unknown input '", name, "'; the model's inputs are ",
             spec_list(model_.inputs()));
  KILN_CHECK(value.defined(), kValue, "input '", name, "' is an undefined tensor");
  kg::check_input_meta(g.value(ids[i]), value.meta());
  inputs_[i] = value.is_contiguous() ? value : value.contiguous();
}

void Session::run() {
  const kg::Graph& g = model_.graph();
  for (size_t i = 0; i < inputs_.size(); ++i)
    KILN_CHECK(inputs_[i].defined(), kValue, "input '", g.value(g.inputs()[i]).name,
               "' is not set; call set_input for each of ", spec_list(model_.inputs()));
  const auto matches = [&](const Entry& e) {
    for (size_t i = 0; i < inputs_.size(); ++i)
      if (e.signature[i] != inputs_[i].shape()) return false;
    return true;
  };
  Entry* entry = nullptr;
  for (const auto& e : cache_)
    if (matches(*e)) entry = e.get();
  if (!entry) {
    std::vector<Shape> signature;
    for (const Tensor& t : inputs_) signature.push_back(t.shape());
    if (cache_.size() >= options_.max_cached_signatures) {
      auto oldest = std::min_element(
          cache_.begin(), cache_.end(),
          [](const auto& a, const auto& b) { return a->last_used < b->last_used; });
      if (oldest->get() == last_) last_ = nullptr;
      cache_.erase(oldest);
    }
    std::vector<TensorMeta> metas;
    for (const Tensor& t : inputs_) metas.push_back(t.meta());
    kg::ExecutableOptions exe_options;
    exe_options.in_place = options_.in_place;
    exe_options.profile = options_.profile;
    auto fresh = std::make_unique<Entry>();
    fresh->signature = signature;
    fresh->executable = std::make_unique<kg::Executable>(model_.impl_->lowered, metas, exe_options);
    fresh->outputs = fresh->executable->allocate_outputs();
    cache_.push_back(std::move(fresh));
    entry = cache_.back().get();
  }
  entry->last_used = ++clock_;
  last_ = nullptr;  // a failed run leaves no outputs to read
  entry->executable->run(inputs_, states_, entry->outputs);
  last_ = entry;
}

const Tensor& Session::output(const std::string& name) const {
  const kg::Graph& g = model_.graph();
  size_t k = 0;
  while (k < g.outputs().size() && g.outputs()[k].name != name) ++k;
  KILN_CHECK(k < g.outputs().size(), kValue, "unknown output '", name,
             "'; the model's outputs are ", spec_list(model_.outputs()));
  KILN_CHECK(last_ != nullptr, kRuntime, "output '", name,
             "' is not available: call run() first (or the last run failed)");
  return last_->outputs[k];
}

size_t Session::peak_arena_bytes() const { return last_ ? last_->executable->arena_bytes() : 0; }

size_t Session::num_compiled() const { return cache_.size(); }

std::string Session::plan_str() const { return last_ ? last_->executable->plan_str() : ""; }

std::string Session::profile_str() const { return last_ ? last_->executable->profile_str() : ""; }

void Session::clear_profile() {
  for (const auto& entry : cache_) entry->executable->clear_profile();
}

}  // namespace kiln
