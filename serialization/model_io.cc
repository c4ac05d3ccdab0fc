// Model::load and Model::load_bytes, declared in graph/runtime.h: the runtime
// reads model files through this layer, so the graph layer does no file IO.
#include "graph/runtime.h"
#include "kernels/core/error.h"
#include "serialization/model_file.h"

namespace kiln {
namespace {

// A graph the file holds but the runtime refuses is still a bad model file.
Model from_loaded(serialization::LoadedModel loaded) {
  try {
    return Model::from_graph(std::move(loaded.graph), std::move(loaded.metadata));
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kValue || e.kind() == ErrorKind::kType ||
        e.kind() == ErrorKind::kIndex)
      throw_error(ErrorKind::kFormat, "invalid model file: ", e.what());
    throw;
  }
}

}  // namespace

Model Model::load(const std::string& path) {
  try {
    return from_loaded(serialization::read_model_file(path));
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kFormat) throw;
    throw_error(ErrorKind::kFormat, path, ": ", e.what());
  }
}

Model Model::load_bytes(const void* data, size_t size) {
  return from_loaded(serialization::read_model(serialization::ModelBytes::copy(data, size)));
}

}  // namespace kiln
