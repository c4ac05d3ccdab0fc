// One application of an op: the table row plus completed attributes, hashed
// once. Eager dispatch, the tracer and graph nodes all hold OpCalls.
#pragma once

#include <memory>

#include "kernels/op_def.h"

namespace kiln {

struct OpCall {
  const OpDef* def = nullptr;
  Attrs attrs;
  size_t hash = 0;

  OpCall() = default;
  // Completes attrs against def's schema (throws on unknown/mistyped names).
  OpCall(const OpDef& op, const Attrs& given)
      : def(&op), attrs(op.complete_attrs(given)), hash(attrs.hash() ^ std::hash<const void*>()(&op)) {}
  static OpCall make(const std::string& name, const Attrs& attrs = {}) {
    return OpCall(get_op(name), attrs);
  }
  const std::string& name() const { return def->name; }
  bool operator==(const OpCall& o) const { return def == o.def && attrs == o.attrs; }
};

}  // namespace kiln
