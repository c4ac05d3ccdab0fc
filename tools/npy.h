// Reading and writing numpy's .npy files (format versions 1.0-3.0, C order,
// little-endian float32/float16/int32/int8/uint8/bool) for kiln-run.
#pragma once

#include <string>

#include "kernels/core/tensor.h"

namespace kiln {
namespace npy {

// Throws kiln::Error (kValue) naming the file and what was wrong.
Tensor read(const std::string& path);
void write(const std::string& path, const Tensor& tensor);

}  // namespace npy
}  // namespace kiln
