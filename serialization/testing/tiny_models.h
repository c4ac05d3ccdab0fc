// Small graphs for the serialization tests and the fuzzer's seed corpus.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "graph/graph.h"

namespace kiln {
namespace serialization {
namespace testing {

// Inference: inputs (one with a dynamic batch), constants of several dtypes
// (float32, float16, int32, bool), nodes with attributes of each type the op
// table uses (int, float, bool, string, list of ints), a node without inputs,
// named intermediates and three outputs.
graph::Graph tiny_inference_graph();

// One SGD-like training step: a state updated by the step, a read-only state
// and a constant learning rate.
graph::Graph tiny_training_graph();

// A small CNN, for the fuzzer's reach into more ops' inference: conv2d,
// batch_norm (three outputs), pooling, reshape, transpose, slice, concat,
// pad, layer_norm, argmax.
graph::Graph tiny_cnn_graph();

// The seed corpus: (file name, model bytes) for each graph above, written
// with metadata.
std::vector<std::pair<std::string, std::string>> seed_models();

}  // namespace testing
}  // namespace serialization
}  // namespace kiln
