#include "kernels/op_def.h"

#include "kernels/core/error.h"
#include "kernels/infer_util.h"

namespace kiln {

const char* backend_name(Backend backend) {
  return backend == Backend::kCpu ? "cpu" : "reference";
}

namespace {
class StatelessKernel final : public Kernel {
 public:
  StatelessKernel(KernelFn fn, Attrs attrs) : fn_(fn), attrs_(std::move(attrs)) {}
  void run(const Tensor* inputs, Tensor* outputs) override { fn_(attrs_, inputs, outputs); }

 private:
  KernelFn fn_;
  Attrs attrs_;
};
}  // namespace

KernelFactory stateless_kernel(KernelFn fn) {
  KernelFactory factory(
      [fn](const KernelArgs& args) { return std::make_unique<StatelessKernel>(fn, args.attrs); });
  factory.direct = fn;
  return factory;
}

Attrs OpDef::complete_attrs(const Attrs& given) const {
  for (const auto& [name, value] : given.entries()) {
    const AttrSpec* spec = nullptr;
    for (const auto& s : attrs)
      if (s.name == name) spec = &s;
    KILN_CHECK(spec != nullptr, kValue, this->name, ": unknown attribute '", name, "'");
    KILN_CHECK(attr_type(value) == spec->type, kType, this->name, ": attribute '", name,
               "' is a ", attr_type_name(attr_type(value)), "; expected ",
               attr_type_name(spec->type));
  }
  if (given.entries().size() == attrs.size()) return given;
  Attrs out = given;
  for (const auto& s : attrs) {
    if (out.has(s.name)) continue;
    KILN_CHECK(s.default_value.has_value(), kValue, name, ": missing attribute '", s.name,
               "' (", attr_type_name(s.type), ")");
    out.set(s.name, *s.default_value);
  }
  return out;
}

std::vector<TensorMeta> OpDef::infer_outputs(const Attrs& a,
                                             const std::vector<TensorMeta>& inputs) const {
  const int n = static_cast<int>(inputs.size());
  KILN_CHECK(num_inputs < 0 ? n >= 1 : n == num_inputs, kValue, name, ": got ", n,
             " inputs; expected ", num_inputs < 0 ? "at least 1" : std::to_string(num_inputs));
  std::vector<TensorMeta> out = infer(*this, a, inputs);
  check_output_shapes(name, out);
  return out;
}

std::unique_ptr<Kernel> OpDef::prepare(Backend backend, const Attrs& a,
                                       const std::vector<TensorMeta>& inputs,
                                       const std::vector<TensorMeta>& outputs,
                                       uint32_t constant_inputs) const {
  const KernelFactory& factory = kernels[static_cast<int>(backend)];
  KILN_CHECK(static_cast<bool>(factory), kRuntime, name, ": no ", backend_name(backend),
             " kernel is registered");
  return factory(KernelArgs{a, inputs, outputs, constant_inputs});
}

namespace {
template <typename T>
void fill_once(T& slot, T value, const std::string& op, const char* slot_name) {
  KILN_CHECK(!slot, kRuntime, "op '", op, "': slot '", slot_name, "' is filled twice");
  slot = value;
}
}  // namespace

OpBuilder& OpBuilder::version(int v) { def_.version = v; return *this; }
OpBuilder& OpBuilder::kind(OpKind k) { def_.kind = k; return *this; }
OpBuilder& OpBuilder::inputs(int n) { def_.num_inputs = n; return *this; }
OpBuilder& OpBuilder::outputs(int n) { def_.num_outputs = n; return *this; }
OpBuilder& OpBuilder::attr(const std::string& name, AttrType type,
                           std::optional<AttrValue> default_value) {
  for (const auto& s : def_.attrs)
    KILN_CHECK(s.name != name, kRuntime, "op '", def_.name, "': attribute '", name,
               "' is declared twice");
  if (default_value) {
    KILN_CHECK(attr_type(*default_value) == type, kRuntime, "op '", def_.name, "': default of '",
               name, "' is not a ", attr_type_name(type));
  }
  def_.attrs.push_back({name, type, std::move(default_value)});
  return *this;
}
OpBuilder& OpBuilder::infer(InferFn fn) { fill_once(def_.infer, fn, def_.name, "infer"); return *this; }
OpBuilder& OpBuilder::grad(GradFn fn) { fill_once(def_.grad, fn, def_.name, "grad"); return *this; }
OpBuilder& OpBuilder::view(ViewFn fn) { fill_once(def_.view, fn, def_.name, "view"); return *this; }
OpBuilder& OpBuilder::in_place_input(InPlaceFn fn) {
  fill_once(def_.in_place_input, fn, def_.name, "in_place_input");
  return *this;
}
OpBuilder& OpBuilder::strided_inputs() { def_.accepts_strided_inputs = true; return *this; }
OpBuilder& OpBuilder::random() { def_.random = true; return *this; }

OpBuilder OpTable::define(const std::string& name) {
  KILN_CHECK(ops_.count(name) == 0, kRuntime, "op '", name, "' is defined twice");
  auto def = std::make_unique<OpDef>();
  def->name = name;
  OpDef& ref = *def;
  ops_[name] = std::move(def);
  return OpBuilder(ref);
}

void OpTable::set_kernel(const std::string& name, Backend backend, KernelFactory factory) {
  auto it = ops_.find(name);
  KILN_CHECK(it != ops_.end(), kRuntime, backend_name(backend), " kernel for unknown op '",
             name, "'");
  KernelFactory& slot = it->second->kernels[static_cast<int>(backend)];
  KILN_CHECK(!slot, kRuntime, "op '", name, "': ", backend_name(backend),
             " kernel is registered twice");
  slot = std::move(factory);
}

const OpDef* OpTable::find(const std::string& name) const {
  auto it = ops_.find(name);
  return it == ops_.end() ? nullptr : it->second.get();
}

const OpDef& OpTable::get(const std::string& name) const {
  const OpDef* def = find(name);
  KILN_CHECK(def != nullptr, kValue, "unknown op '", name, "'");
  return *def;
}

std::vector<const OpDef*> OpTable::all() const {
  std::vector<const OpDef*> out;
  for (const auto& [name, def] : ops_) out.push_back(def.get());
  return out;
}

std::vector<std::string> OpTable::missing(Backend backend) const {
  std::vector<std::string> out;
  for (const auto& [name, def] : ops_)
    if (!def->infer || !def->kernels[static_cast<int>(backend)]) out.push_back(name);
  return out;
}

}  // namespace kiln
