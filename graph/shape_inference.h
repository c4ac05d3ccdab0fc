// Shape inference for concrete input shapes: a graph is built (traced) at one
// signature; its inputs may mark dimensions dynamic (the batch). Compiling for
// other concrete shapes checks them against the declaration and re-infers
// every node's outputs through the op table.
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"

namespace kiln {
namespace graph {

// The declared signature of an input: "float32(?, 3, 224, 224)", ? = dynamic.
std::string declared_str(const Value& input);
// The declared shape as ints, -1 for dynamic dims.
std::vector<int64_t> declared_shape(const Value& input);

// Checks `given` against input `input`: TypeError for another dtype,
// ValueError for another rank or a fixed dim of another size. Messages name
// the input, the meta given and the declared one.
void check_input_meta(const Value& input, const TensorMeta& given);

// A copy of g whose inputs have the given metas (graph.inputs() order, each
// checked) and whose every node output is re-inferred in order. A node that
// rejects its new inputs throws the op's error prefixed with the node index
// and the input shapes that led there; a state update whose value no longer
// matches its state's meta is an error too. Constants and states are shared,
// not copied.
Graph infer_shapes(const Graph& g, const std::vector<TensorMeta>& inputs);

// g's input metas with every dynamic dim moved off its traced size (variant
// 1: size + 1, variant 2: 2 * size + 3), to see what depends on those dims.
bool has_dynamic_inputs(const Graph& g);
std::vector<TensorMeta> varied_input_metas(const Graph& g, int variant);

}  // namespace graph
}  // namespace kiln
