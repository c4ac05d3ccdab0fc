// Writing and reading kiln model files: one static graph with its constants,
// state variables and metadata (schema: serialization/kiln.fbs, which only
// serialization/*.cc see).
//
// Reading trusts nothing (validate.h): every malformed file, truncated,
// corrupted or from a newer kiln, throws kiln::Error of kind kFormat whose
// message says what was wrong and what was expected. Constants are used in
// place: their tensors borrow the file's bytes and keep them alive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "graph/graph.h"

namespace kiln {
namespace serialization {

// The format version this build writes, and the newest it reads.
constexpr uint32_t kFormatVersion = 1;
// Constant and state bytes start at multiples of this in a file (and in
// ModelBytes' memory), so tensors can use them in place.
constexpr size_t kDataAlignment = 64;
// What write_model records as the producer unless told otherwise.
inline constexpr char kDefaultProducer[] = "kiln";
// Conventional metadata keys (any other key is kept as well).
inline constexpr char kUserInfoKey[] = "user_info";
inline constexpr char kOptimizationKey[] = "optimization";

// The immutable bytes of a model file at a kDataAlignment-aligned address.
// Tensors read from them borrow this memory and keep it alive.
class ModelBytes {
 public:
  static std::shared_ptr<const ModelBytes> copy(const void* data, size_t size);
  static std::shared_ptr<const ModelBytes> copy(const std::string& bytes) {
    return copy(bytes.data(), bytes.size());
  }
  // Reads a whole file; kRuntime error naming the path if it cannot be read.
  static std::shared_ptr<const ModelBytes> read_file(const std::string& path);

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

  ~ModelBytes();
  ModelBytes(const ModelBytes&) = delete;
  ModelBytes& operator=(const ModelBytes&) = delete;

 private:
  explicit ModelBytes(size_t size);
  uint8_t* data_;
  size_t size_;
};

struct LoadedModel {
  graph::Graph graph;  // verified; same ids as the graph that was written (see write_model)
  std::map<std::string, std::string> metadata;
  uint32_t format_version = 0;
  std::string producer;
};

// Serializes a graph that passes graph::verify. Graph inputs, outputs and
// states must be named (ValueError otherwise). A graph as built through the
// Graph API reads back with the same value ids; one edited by passes is
// renumbered into canonical order (see kiln.fbs) and values no node produces
// any more are dropped.
std::string write_model(const graph::Graph& graph,
                        const std::map<std::string, std::string>& metadata = {},
                        const std::string& producer = kDefaultProducer);
// write_model to a file; kRuntime error naming the path if it cannot be written.
void write_model_file(const std::string& path, const graph::Graph& graph,
                      const std::map<std::string, std::string>& metadata = {},
                      const std::string& producer = kDefaultProducer);

// Validates and loads a model. Constants borrow `bytes`; states are copied
// (a run writes them back).
LoadedModel read_model(std::shared_ptr<const ModelBytes> bytes);
// The same against another op table (tests); it must outlive the graph.
LoadedModel read_model(std::shared_ptr<const ModelBytes> bytes, const OpTable& ops);
// Copies `bytes` once into aligned memory, then reads it.
LoadedModel read_model(const std::string& bytes);
LoadedModel read_model_file(const std::string& path);

}  // namespace serialization
}  // namespace kiln
