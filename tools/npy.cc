#include "tools/npy.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>

#include "kernels/core/error.h"

namespace kiln {
namespace npy {
namespace {

const char kMagic[] = "\x93NUMPY";

const char* descr_of(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return "<f4";
    case DType::kFloat16: return "<f2";
    case DType::kInt32: return "<i4";
    case DType::kInt8: return "|i1";
    case DType::kUInt8: return "|u1";
    case DType::kBool: return "|b1";
  }
  return "?";
}

DType dtype_of(const std::string& descr, const std::string& path) {
  for (int i = 0; i < kNumDTypes; ++i) {
    const auto d = static_cast<DType>(i);
    if (descr == descr_of(d)) return d;
  }
  if (descr == "<f8" || descr == "<i8")
    throw_error(ErrorKind::kValue, path, ": dtype '", descr,
                "' is not supported; save the array as float32 or int32");
  throw_error(ErrorKind::kValue, path, ": unsupported .npy dtype '", descr,
              "'; expected float32, float16, int32, int8, uint8 or bool (little-endian)");
}

}  // namespace

Tensor read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  KILN_CHECK(in, kValue, path, ": cannot open the file");
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  KILN_CHECK(data.size() >= 10 && data.compare(0, 6, kMagic, 6) == 0, kValue, path,
             ": not a .npy file (missing the \\x93NUMPY magic)");
  const int major = static_cast<unsigned char>(data[6]);
  size_t header_len, header_start;
  if (major == 1) {
    header_len = static_cast<unsigned char>(data[8]) | (static_cast<unsigned char>(data[9]) << 8);
    header_start = 10;
  } else {
    KILN_CHECK((major == 2 || major == 3) && data.size() >= 12, kValue, path,
               ": unsupported .npy format version ", major);
    uint32_t len;
    std::memcpy(&len, data.data() + 8, 4);
    header_len = len;
    header_start = 12;
  }
  KILN_CHECK(header_start + header_len <= data.size(), kValue, path, ": truncated .npy header");
  const std::string header = data.substr(header_start, header_len);
  std::smatch m;
  KILN_CHECK(std::regex_search(header, m, std::regex("'descr':\\s*'([^']*)'")), kValue, path,
             ": .npy header has no descr");
  const DType dtype = dtype_of(m[1], path);
  KILN_CHECK(std::regex_search(header, m, std::regex("'fortran_order':\\s*(True|False)")) &&
                 m[1] == "False",
             kValue, path, ": Fortran-ordered arrays are not supported; save with C order");
  KILN_CHECK(std::regex_search(header, m, std::regex("'shape':\\s*\\(([^)]*)\\)")), kValue, path,
             ": .npy header has no shape");
  Shape shape;
  std::stringstream dims(m[1].str());
  for (std::string item; std::getline(dims, item, ',');) {
    if (item.find_first_not_of(" ") == std::string::npos) continue;
    const long long d = std::stoll(item);
    KILN_CHECK(d >= 0 && d < (1ll << 40), kValue, path, ": invalid dimension ", d);
    shape.push_back(d);
  }
  Tensor t = Tensor::empty(shape, dtype);
  const size_t body = header_start + header_len;
  KILN_CHECK(data.size() - body == t.nbytes(), kValue, path, ": holds ", data.size() - body,
             " bytes of data; shape ", shape.str(), " of ", dtype_name(dtype), " needs ", t.nbytes());
  if (t.nbytes()) std::memcpy(t.raw_data(), data.data() + body, t.nbytes());
  return t;
}

void write(const std::string& path, const Tensor& tensor) {
  const Tensor t = tensor.contiguous();
  std::string shape;
  for (int i = 0; i < t.rank(); ++i) shape += std::to_string(t.shape()[i]) + ",";
  if (t.rank() > 1) shape.pop_back();
  std::string header = str_cat("{'descr': '", descr_of(t.dtype()), "', 'fortran_order': False, 'shape': (",
                               shape, "), }");
  // The data starts at a multiple of 64 bytes; the header ends with '\n'.
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  KILN_CHECK(out, kValue, path, ": cannot open the file for writing");
  out.write(kMagic, 6);
  out.put(1).put(0);
  out.put(static_cast<char>(header.size() & 0xff)).put(static_cast<char>(header.size() >> 8));
  out << header;
  out.write(static_cast<const char*>(t.raw_data()), static_cast<std::streamsize>(t.nbytes()));
  KILN_CHECK(out, kValue, path, ": write failed");
}

}  // namespace npy
}  // namespace kiln
