#include "kernels/core/tensor.h"

#include <gtest/gtest.h>

#include "kernels/core/error.h"

namespace kiln {
namespace {

Tensor iota(const Shape& shape) {
  Tensor t = Tensor::empty(shape, DType::kFloat32);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}

TEST(Tensor, ViewsShareStorageAndCloneCopies) {
  Tensor t = iota({2, 3});
  Tensor tr = t.permute({1, 0});
  EXPECT_TRUE(tr.shares_storage(t));
  EXPECT_FALSE(tr.is_contiguous());
  Tensor packed = tr.contiguous();
  EXPECT_FALSE(packed.shares_storage(t));
  const float expected[] = {0, 3, 1, 4, 2, 5};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(packed.data<float>()[i], expected[i]);
}

TEST(Tensor, SliceWithStepAndNegativeStep) {
  Tensor t = iota({10});
  Tensor s = t.slice(0, 1, 8, 3).contiguous();  // 1 4 7
  ASSERT_EQ(s.shape(), Shape({3}));
  EXPECT_EQ(s.data<float>()[2], 7);
  Tensor r = t.slice(0, 9, -1, -4).contiguous();  // 9 5 1
  ASSERT_EQ(r.shape(), Shape({3}));
  EXPECT_EQ(r.data<float>()[1], 5);
}

TEST(Tensor, BroadcastViewUsesZeroStrides) {
  Tensor t = iota({3, 1});
  Tensor b = t.broadcast_view({2, 3, 4});
  EXPECT_EQ(b.strides(), Strides({0, 1, 0}));
  EXPECT_EQ(b.contiguous().data<float>()[23], 2);
  EXPECT_THROW(t.broadcast_view({2, 4}), Error);
}

TEST(Tensor, ZeroSizeTensorsAreContiguousAndCopy) {
  Tensor t = Tensor::empty({0, 3}, DType::kFloat32);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(t.clone().numel(), 0);
}

TEST(Tensor, ErrorsNameTheProblem) {
  Tensor t = iota({2, 3});
  try {
    t.reshape_view({4, 2});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kValue);
    EXPECT_NE(std::string(e.what()).find("(2, 3)"), std::string::npos);
  }
  EXPECT_THROW(t.permute({0, 0}), Error);
  EXPECT_THROW(t.select(1, 3), Error);
}

}  // namespace
}  // namespace kiln
