// Transpose sinking (ONNX Runtime's transpose optimizer, the part the CPU
// layout needs): moves a transpose from the inputs of an elementwise op to
// its output,
//   op(transpose(a, p), transpose(b, p), c)  =>  transpose(op(a, b, c'), p)
// so that layout transposes meet their inverses and cancel
// (AlgebraicSimplification's transpose_transpose, run after it).
// Elementwise ops are the unary, binary and ternary kinds. Every input must
// be a transpose by the same p to the node's output rank, a constant of at
// most that rank (c' is c, padded with leading 1s, permuted by p's inverse:
// broadcasting is kept), or a 0-d value. At least one transposed input must
// be read by this node only, so a rewrite removes a transpose for the one it
// adds. Runs until nothing matches, so transposes travel down whole chains.
#pragma once

#include "graph/pass_manager.h"

namespace kiln {
namespace graph {

class TransposeSinking final : public Pass {
 public:
  const char* name() const override { return "transpose_sinking"; }
  bool run(Graph& g) override;
};

}  // namespace graph
}  // namespace kiln
