// Shapes and strides: small inline arrays (rank <= kMaxRank), so building and
// comparing them on the dispatch path never touches the heap.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace kiln {

constexpr int kMaxRank = 8;

class Dims {
 public:
  Dims() = default;
  Dims(std::initializer_list<int64_t> dims);
  explicit Dims(const std::vector<int64_t>& dims);
  static Dims filled(int rank, int64_t value);

  int rank() const { return rank_; }
  int64_t operator[](int i) const { return d_[i]; }
  int64_t& operator[](int i) { return d_[i]; }
  const int64_t* begin() const { return d_; }
  const int64_t* end() const { return d_ + rank_; }
  void push_back(int64_t v);
  void insert(int pos, int64_t v);
  void erase(int pos);
  std::vector<int64_t> vec() const { return {begin(), end()}; }

  int64_t numel() const;  // product of dims (1 for rank 0)
  bool operator==(const Dims& o) const;
  bool operator!=(const Dims& o) const { return !(*this == o); }
  std::string str() const;  // "(2, 3)"
  size_t hash() const;

 private:
  int64_t d_[kMaxRank] = {};
  int rank_ = 0;
};

using Shape = Dims;
using Strides = Dims;  // in elements; 0 for broadcast dims, negative for reversed slices

Strides contiguous_strides(const Shape& shape);
// numel of a shape whose dims are >= 0 and whose bytes (at element_size)
// fit in 2^48; throws ValueError naming the shape otherwise.
int64_t checked_numel(const Shape& shape, size_t element_size);
// The length of range(start, stop, step), step != 0, computed without
// overflow for any start, stop and step (a step past the span gives 1).
int64_t slice_length(int64_t start, int64_t stop, int64_t step);
// Normalises axis in [-rank, rank) to [0, rank); throws IndexError naming `op`.
int normalize_axis(int64_t axis, int rank, const char* op);
// numpy broadcasting of two shapes; throws ValueError naming `op`.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

}  // namespace kiln
