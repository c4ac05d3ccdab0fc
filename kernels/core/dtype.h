// Element types kiln stores. float16 is storage-only: math runs in float32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/core/half.h"

namespace kiln {

enum class DType : uint8_t { kFloat32, kFloat16, kInt32, kInt8, kUInt8, kBool };
constexpr int kNumDTypes = 6;

size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);
// Parses a numpy-style name ("float32", "int32", "bool", ...); throws TypeError.
DType dtype_from_name(const std::string& name);
bool is_floating(DType dtype);

// Calls fn(T{}) with T the C++ type of `dtype` (bool is stored as uint8-sized bool).
template <typename Fn>
decltype(auto) dispatch_dtype(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::kFloat32: return fn(float{});
    case DType::kFloat16: return fn(Half{});
    case DType::kInt32: return fn(int32_t{});
    case DType::kInt8: return fn(int8_t{});
    case DType::kUInt8: return fn(uint8_t{});
    case DType::kBool: return fn(bool{});
  }
  return fn(float{});
}

template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::kFloat32; };
template <> struct DTypeOf<Half> { static constexpr DType value = DType::kFloat16; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::kInt32; };
template <> struct DTypeOf<int8_t> { static constexpr DType value = DType::kInt8; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::kUInt8; };
template <> struct DTypeOf<bool> { static constexpr DType value = DType::kBool; };

}  // namespace kiln
