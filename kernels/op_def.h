// The op table: one row per op, serving eager execution, traced graphs and
// the deployed runtime alike (DESIGN.md, "One op table, three uses").
#pragma once

#include <array>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kernels/attrs.h"
#include "kernels/grad.h"
#include "kernels/kernel.h"

namespace kiln {

// Groups that passes ask for instead of keeping private lists of names.
enum class OpKind {
  kUnary,      // elementwise, one input
  kBinary,     // elementwise with numpy broadcasting
  kTernary,    // elementwise, three inputs (where)
  kReduce,     // reductions over axes
  kMovement,   // reshape/transpose/slice/broadcast: eager outputs are views
  kSource,     // no tensor inputs (fill, random)
  kCompute,    // matmul, conv and other library-backed ops
  kIndex,      // gather, scatter, indexing
  kOther,
};

struct AttrSpec {
  std::string name;
  AttrType type;
  std::optional<AttrValue> default_value;  // none: the caller must give it
};

struct OpDef;
// Output inference; errors name op.name, the metas given and what was expected.
using InferFn = std::vector<TensorMeta> (*)(const OpDef& op, const Attrs& attrs,
                                            const std::vector<TensorMeta>& inputs);
// Movement ops: builds output 0 as a view of input 0 (eager only).
using ViewFn = Tensor (*)(const Attrs& attrs, const Tensor& input);
// Non-elementwise ops whose kernel may write output 0 over one input of the
// same size (an accumulating post-op): that input's index, or -1.
using InPlaceFn = int (*)(const Attrs& attrs, int num_inputs);

struct OpDef {
  std::string name;
  int version = 1;
  OpKind kind = OpKind::kOther;
  int num_inputs = 1;  // -1: variadic (at least one)
  int num_outputs = 1;
  std::vector<AttrSpec> attrs;
  InferFn infer = nullptr;
  GradFn grad = nullptr;  // null: not differentiable
  ViewFn view = nullptr;
  InPlaceFn in_place_input = nullptr;  // elementwise ops may reuse any input
  bool accepts_strided_inputs = false;
  // Draws random numbers (uniform_random, normal_random): graph passes never
  // fold such a node into a constant nor merge two of them.
  bool random = false;
  std::array<KernelFactory, kNumBackends> kernels;

  bool differentiable() const { return grad != nullptr; }
  // Checks names and types against the schema and fills defaults; throws
  // ValueError/TypeError naming the op and the attribute.
  Attrs complete_attrs(const Attrs& given) const;
  // Checks the input count, runs infer, then checks that every output's
  // dims are >= 0 and their product fits in int64 (check_output_shapes).
  std::vector<TensorMeta> infer_outputs(const Attrs& attrs,
                                        const std::vector<TensorMeta>& inputs) const;
  // Prepares a kernel; throws naming op and backend when none is registered.
  std::unique_ptr<Kernel> prepare(Backend backend, const Attrs& attrs,
                                  const std::vector<TensorMeta>& inputs,
                                  const std::vector<TensorMeta>& outputs,
                                  uint32_t constant_inputs = 0) const;
};

// Fills a row; refuses a slot filled twice and names op and slot.
class OpBuilder {
 public:
  explicit OpBuilder(OpDef& def) : def_(def) {}
  OpBuilder& version(int v);
  OpBuilder& kind(OpKind k);
  OpBuilder& inputs(int n);
  OpBuilder& outputs(int n);
  OpBuilder& attr(const std::string& name, AttrType type,
                  std::optional<AttrValue> default_value = std::nullopt);
  OpBuilder& infer(InferFn fn);
  OpBuilder& grad(GradFn fn);
  OpBuilder& view(ViewFn fn);
  OpBuilder& in_place_input(InPlaceFn fn);
  OpBuilder& strided_inputs();
  OpBuilder& random();

 private:
  OpDef& def_;
};

class OpTable {
 public:
  OpBuilder define(const std::string& name);  // throws if the name exists
  void set_kernel(const std::string& name, Backend backend, KernelFactory factory);
  const OpDef& get(const std::string& name) const;  // ValueError for unknown names
  const OpDef* find(const std::string& name) const;
  std::vector<const OpDef*> all() const;
  // Names the ops that lack an infer rule or a kernel for `backend`.
  std::vector<std::string> missing(Backend backend) const;

 private:
  std::map<std::string, std::unique_ptr<OpDef>> ops_;
};

// The process-wide table, filled once on first use by register_all_ops
// (kernels/register.cc): explicit registration, no static initialisers.
const OpTable& op_table();
inline const OpDef& get_op(const std::string& name) { return op_table().get(name); }

}  // namespace kiln
