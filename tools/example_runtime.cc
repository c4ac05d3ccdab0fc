// A minimal C++ program using kiln's runtime API (graph/runtime.h): load a
// model file, feed ones to every input (dynamic dims as 1), print outputs.
//
//   bazel run //tools:example_runtime -- model.kiln
#include <iostream>

#include "graph/runtime.h"
#include "kernels/core/error.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: example_runtime MODEL\n";
    return 2;
  }
  try {
    const kiln::Model model = kiln::Model::load(argv[1]);
    kiln::Session session(model);
    for (const kiln::TensorSpec& spec : model.inputs()) {
      std::vector<int64_t> dims = spec.shape;
      for (int64_t& d : dims) d = d < 0 ? 1 : d;
      kiln::Tensor x = kiln::Tensor::empty(kiln::Shape(dims), kiln::DType::kFloat32);
      for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = 1.0f;
      session.set_input(spec.name, x);
    }
    session.run();
    for (const kiln::TensorSpec& spec : model.outputs()) {
      const kiln::Tensor& y = session.output(spec.name);
      std::cout << spec.name << " " << y.meta().str() << " first value "
                << (y.numel() ? y.data<float>()[0] : 0.0f) << "\n";
    }
  } catch (const kiln::Error& e) {
    std::cerr << "example_runtime: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
