// IEEE-754 binary16 storage type with round-to-nearest-even conversions.
#pragma once

#include <cstdint>
#include <cstring>

namespace kiln {

struct Half {
  uint16_t bits = 0;

  Half() = default;
  explicit Half(float value) : bits(from_float(value)) {}
  explicit operator float() const { return to_float(bits); }

  static uint16_t from_float(float value) {
    uint32_t f;
    std::memcpy(&f, &value, 4);
    const uint32_t sign = (f >> 16) & 0x8000u;
    const uint32_t abs = f & 0x7fffffffu;
    if (abs >= 0x7f800000u)  // inf or nan (nan keeps a quiet payload bit)
      return static_cast<uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0));
    if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow
    if (abs < 0x38800000u) {  // subnormal half or zero
      if (abs < 0x33000000u) return static_cast<uint16_t>(sign);
      const uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
      const int shift = 126 - static_cast<int>(abs >> 23);
      const uint32_t half_ulp = 1u << (shift - 1), rest = mant & ((1u << shift) - 1);
      uint32_t h = mant >> shift;
      if (rest > half_ulp || (rest == half_ulp && (h & 1u))) ++h;
      return static_cast<uint16_t>(sign | h);
    }
    uint32_t h = ((abs >> 13) - (112u << 10));
    const uint32_t rest = abs & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
    return static_cast<uint16_t>(sign | h);
  }

  static float to_float(uint16_t h) {
    const uint32_t sign = (h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
    uint32_t f;
    if (exp == 0x1f) {
      f = sign | 0x7f800000u | (mant << 13);
    } else if (exp != 0) {
      f = sign | ((exp + 112u) << 23) | (mant << 13);
    } else if (mant == 0) {
      f = sign;
    } else {  // subnormal: normalise
      int e = -1;
      uint32_t m = mant;
      do { ++e; m <<= 1; } while ((m & 0x400u) == 0);
      f = sign | ((112u - e) << 23) | ((m & 0x3ffu) << 13);
    }
    float out;
    std::memcpy(&out, &f, 4);
    return out;
  }
};

}  // namespace kiln
