#include "tools/npy.h"

#include <cstring>
#include <iterator>
#include <fstream>

#include <gtest/gtest.h>

#include "kernels/core/error.h"

namespace kiln {
namespace {

TEST(Npy, RoundTripsEveryDtypeAndShape) {
  const std::string path = ::testing::TempDir() + "/t.npy";
  for (DType dtype : {DType::kFloat32, DType::kInt32, DType::kUInt8, DType::kBool}) {
    for (const Shape& shape : {Shape{}, Shape{0}, Shape{5}, Shape{2, 3, 4}}) {
      Tensor t = Tensor::empty(shape, dtype);
      for (size_t i = 0; i < t.nbytes(); ++i) static_cast<uint8_t*>(t.raw_data())[i] = i % 2;
      npy::write(path, t);
      Tensor back = npy::read(path);
      ASSERT_EQ(back.meta(), t.meta());
      EXPECT_EQ(0, std::memcmp(back.raw_data(), t.raw_data(), t.nbytes()));
    }
  }
}

TEST(Npy, RejectsBadFilesWithClearErrors) {
  const std::string path = ::testing::TempDir() + "/bad.npy";
  std::ofstream(path) << "not numpy";
  EXPECT_THROW(npy::read(path), Error);
  EXPECT_THROW(npy::read(::testing::TempDir() + "/missing.npy"), Error);
  Tensor t = Tensor::empty({4}, DType::kFloat32);
  npy::write(path, t);
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::ofstream(path, std::ios::binary) << bytes.substr(0, bytes.size() - 3);  // truncated data
  try {
    npy::read(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bytes of data"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kiln
