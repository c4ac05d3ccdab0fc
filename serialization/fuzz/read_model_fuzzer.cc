// libFuzzer target for the model reader: any bytes give a kFormat error or a
// valid load, never a crash, a sanitizer report or another kind of error.
// A valid load must also lower for the CPU (Model::from_graph runs
// graph::lower_for_cpu, as Model::load does) without any error.
// Built and run outside Bazel by tools/fuzz.sh (clang, -fsanitize=fuzzer,
// address,undefined) on the seed corpus in serialization/fuzz/corpus/.
#include <cstdio>
#include <cstdlib>

#include "graph/runtime.h"
#include "kernels/core/error.h"
#include "serialization/model_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kiln;
  try {
    serialization::LoadedModel m =
        serialization::read_model(serialization::ModelBytes::copy(data, size));
    // A loaded model is a verified graph that writes back to a loadable file.
    graph::verify(m.graph);
    const std::string text = m.graph.str();
    const std::string bytes = serialization::write_model(m.graph, m.metadata, m.producer);
    if (serialization::read_model(bytes).graph.str() != text) {
      std::fprintf(stderr, "a loaded model does not round-trip:\n%s\n", text.c_str());
      std::abort();
    }
    try {
      Model::from_graph(std::move(m.graph), m.metadata);
    } catch (const Error& e) {
      std::fprintf(stderr, "a valid model does not lower: %s\n%s\n", e.what(), text.c_str());
      std::abort();
    }
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kFormat) {
      std::fprintf(stderr, "error of kind %d instead of kFormat: %s\n", static_cast<int>(e.kind()),
                   e.what());
      std::abort();
    }
  }
  return 0;
}
