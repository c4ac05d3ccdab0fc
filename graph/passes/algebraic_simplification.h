// Algebraic simplification: a table of small match/replace rules (tinygrad's
// PatternMatcher), each of one op, each exact for every input the node
// accepts:
//   mul_by_one        mul(x, 1), mul(1, x)           -> x
//   add_zero          add(x, 0), add(0, x), sub(x, 0) -> x
//   div_by_one        div(x, 1)                      -> x
//   cast_same_dtype   cast(x) to x's dtype           -> x
//   copy_elision      copy(x)                        -> x
//   identity_movement reshape/broadcast_to to x's shape, transpose by the
//                     identity permutation            -> x
//   reshape_reshape   reshape(reshape(x))            -> reshape(x)
//   transpose_transpose transpose(transpose(x, p), q) -> transpose(x, p[q])
// "1" and "0" are constants whose every element is 1 or 0; a rule applies
// only when the result has the node's dtype and shape (the constant does not
// broadcast x larger).
#pragma once

#include <string>
#include <vector>

#include "graph/pass_manager.h"

namespace kiln {
namespace graph {

class AlgebraicSimplification final : public Pass {
 public:
  const char* name() const override { return "algebraic_simplification"; }
  bool run(Graph& g) override;
  // The rule names, in the order they are tried.
  static std::vector<std::string> rule_names();
};

}  // namespace graph
}  // namespace kiln
