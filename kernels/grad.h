// What a gradient rule sees. Rules are written in terms of other ops (emit),
// so the backward pass of a traced training step is recorded as ordinary ops.
// The imperative layer implements GradContext; values are opaque to kernels/.
#pragma once

#include <memory>
#include <vector>

#include "kernels/attrs.h"
#include "kernels/core/tensor.h"

namespace kiln {

struct OpDef;

class GradValue {
 public:
  virtual ~GradValue() = default;
  virtual TensorMeta meta() const = 0;
};
using ValueRef = std::shared_ptr<GradValue>;

class GradContext {
 public:
  virtual ~GradContext() = default;
  virtual const Attrs& attrs() const = 0;
  virtual int num_inputs() const = 0;
  virtual ValueRef input(int i) const = 0;
  virtual ValueRef output(int i) const = 0;
  // Null when no gradient flows into output i.
  virtual ValueRef output_grad(int i) const = 0;
  virtual bool needs_input_grad(int i) const = 0;
  virtual void set_input_grad(int i, ValueRef grad) = 0;
  // Runs (or records) `op` on values; gradient recording is off meanwhile.
  virtual std::vector<ValueRef> emit(const OpDef& op, const Attrs& attrs,
                                     const std::vector<ValueRef>& inputs) = 0;
};

using GradFn = void (*)(GradContext& ctx);

}  // namespace kiln
