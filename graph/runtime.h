// kiln's C++ runtime API, the one public header for deployment (API.md, C++):
//
//   kiln::Model model = kiln::Model::load("model.kiln");  // throws kiln::Error
//   kiln::Session session(model);                         // one per thread
//   session.set_input("x", tensor);                       // checks dtype and shape
//   session.run();
//   const kiln::Tensor& y = session.output("logits");
//
// A Model is immutable and may be shared by many Sessions on many threads
// (copies share one graph). A Session owns its compiled executables (one per
// input-shape signature, cached), their arenas and its copy of the model's
// state, and runs one request at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "kernels/core/tensor.h"

namespace kiln {

// A named input or output of a model.
struct TensorSpec {
  std::string name;
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;  // -1 for a dynamic dimension
  std::string str() const;     // "x: float32(?, 3, 224, 224)"
};

using Metadata = std::map<std::string, std::string>;

class Model {
 public:
  // Wraps a graph as it is (run graph::optimize_for_inference first to
  // optimize it); verifies it. Output specs mark a dimension dynamic (-1)
  // when it follows a dynamic input dimension, as far as shape inference
  // tells at other sizes. Sessions run the graph lowered for the CPU
  // (graph::lower_for_cpu: NHWC convolutions); graph() is the one given.
  static Model from_graph(kiln::graph::Graph graph, Metadata metadata = {});

  // Reads a model file, trusting nothing in it (kiln::Error of kind kFormat
  // for a bad file). Declared here, defined in serialization/ (its
  // model_io.cc): link //serialization to use it. The graph layer does no
  // file IO.
  static Model load(const std::string& path);
  // The same from bytes in memory (a file's contents). Also in serialization/.
  static Model load_bytes(const void* data, size_t size);

  const std::vector<TensorSpec>& inputs() const;
  const std::vector<TensorSpec>& outputs() const;
  const Metadata& metadata() const;
  const kiln::graph::Graph& graph() const;

 private:
  struct Impl;
  explicit Model(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
  friend class Session;
};

struct SessionOptions {
  // Executables kept (one per input-shape signature); the least recently
  // used is dropped beyond this.
  size_t max_cached_signatures = 8;
  bool in_place = true;  // elementwise outputs may reuse a dying input's buffer
  bool profile = false;   // time every kernel of every run (profile_str)
};

class Session {
 public:
  explicit Session(const Model& model, SessionOptions options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Binds input `name` (no copy when `value` is packed: keep it unchanged
  // until run). Errors: an unknown name (ValueError, listing the inputs),
  // another dtype (TypeError), another rank or fixed dimension (ValueError);
  // each names the input, what was given and what is expected.
  void set_input(const std::string& name, const Tensor& value);
  // Runs the model on the bound inputs; compiles an executable the first
  // time a signature is seen. Errors when an input is not set.
  void run();
  // Output `name` of the last run; valid until the next run.
  const Tensor& output(const std::string& name) const;

  const Model& model() const { return model_; }
  // The arena of the executable the last run used (0 before any run).
  size_t peak_arena_bytes() const;
  // Executables compiled and cached now.
  size_t num_compiled() const;
  // The last run's op sequence with arena offsets and peak ("" before a run),
  // as kiln-run prints it.
  std::string plan_str() const;
  // With SessionOptions::profile: the last run's executable's time per op,
  // over its runs since it was compiled or clear_profile() was called.
  std::string profile_str() const;
  void clear_profile();

 private:
  struct Entry;
  Model model_;
  SessionOptions options_;
  std::vector<Tensor> inputs_;  // graph.inputs() order
  std::vector<Tensor> states_;  // this session's copy, graph.states() order
  std::vector<std::unique_ptr<Entry>> cache_;
  Entry* last_ = nullptr;
  uint64_t clock_ = 0;
};

}  // namespace kiln
