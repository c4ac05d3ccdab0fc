#include "kernels/core/shape.h"

#include <sstream>

#include "kernels/core/error.h"

namespace kiln {

namespace {
void check_rank(int rank) {
  KILN_CHECK(rank <= kMaxRank, kValue, "tensor rank ", rank, " exceeds kiln's maximum rank ",
             kMaxRank);
}
}  // namespace

Dims::Dims(std::initializer_list<int64_t> dims) {
  check_rank(static_cast<int>(dims.size()));
  for (int64_t v : dims) d_[rank_++] = v;
}

Dims::Dims(const std::vector<int64_t>& dims) {
  check_rank(static_cast<int>(dims.size()));
  for (int64_t v : dims) d_[rank_++] = v;
}

Dims Dims::filled(int rank, int64_t value) {
  check_rank(rank);
  Dims out;
  out.rank_ = rank;
  for (int i = 0; i < rank; ++i) out.d_[i] = value;
  return out;
}

void Dims::push_back(int64_t v) {
  check_rank(rank_ + 1);
  d_[rank_++] = v;
}

void Dims::insert(int pos, int64_t v) {
  check_rank(rank_ + 1);
  for (int i = rank_; i > pos; --i) d_[i] = d_[i - 1];
  d_[pos] = v;
  ++rank_;
}

void Dims::erase(int pos) {
  for (int i = pos; i + 1 < rank_; ++i) d_[i] = d_[i + 1];
  --rank_;
}

int64_t Dims::numel() const {
  int64_t n = 1;
  for (int i = 0; i < rank_; ++i) n *= d_[i];
  return n;
}

int64_t checked_numel(const Shape& shape, size_t element_size) {
  int64_t n = 1;
  for (int64_t d : shape) {
    KILN_CHECK(d >= 0, kValue, "invalid shape ", shape.str(), ": dimensions must be >= 0");
    KILN_CHECK(!__builtin_mul_overflow(n, d, &n), kValue, "shape ", shape.str(),
               " has too many elements");
  }
  int64_t bytes;
  KILN_CHECK(!__builtin_mul_overflow(n, static_cast<int64_t>(element_size), &bytes) &&
                 bytes <= (int64_t{1} << 48),
             kValue, "shape ", shape.str(), " needs more memory than kiln can address");
  return n;
}

bool Dims::operator==(const Dims& o) const {
  if (rank_ != o.rank_) return false;
  for (int i = 0; i < rank_; ++i)
    if (d_[i] != o.d_[i]) return false;
  return true;
}

std::string Dims::str() const {
  std::ostringstream os;
  os << "(";
  for (int i = 0; i < rank_; ++i) os << (i ? ", " : "") << d_[i];
  os << (rank_ == 1 ? ",)" : ")");
  return os.str();
}

size_t Dims::hash() const {
  size_t h = static_cast<size_t>(rank_);
  for (int i = 0; i < rank_; ++i) h = h * 1000003u ^ static_cast<size_t>(d_[i]);
  return h;
}

Strides contiguous_strides(const Shape& shape) {
  Strides s = Dims::filled(shape.rank(), 1);
  for (int i = shape.rank() - 2; i >= 0; --i) s[i] = s[i + 1] * std::max<int64_t>(shape[i + 1], 1);
  return s;
}

int64_t slice_length(int64_t start, int64_t stop, int64_t step) {
  if (step > 0 ? stop <= start : stop >= start) return 0;
  // Unsigned, so that neither the span nor the step's magnitude overflows.
  const uint64_t span = step > 0 ? static_cast<uint64_t>(stop) - static_cast<uint64_t>(start)
                                 : static_cast<uint64_t>(start) - static_cast<uint64_t>(stop);
  const uint64_t magnitude =
      step > 0 ? static_cast<uint64_t>(step) : uint64_t{0} - static_cast<uint64_t>(step);
  return static_cast<int64_t>((span - 1) / magnitude + 1);
}

int normalize_axis(int64_t axis, int rank, const char* op) {
  KILN_CHECK(axis >= -rank && axis < rank, kIndex, op, ": axis ", axis,
             " is out of range for a tensor of rank ", rank, " (expected -", rank,
             " <= axis < ", rank, ")");
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const int rank = std::max(a.rank(), b.rank());
  Shape out = Dims::filled(rank, 1);
  for (int i = 0; i < rank; ++i) {
    const int ia = i - (rank - a.rank()), ib = i - (rank - b.rank());
    const int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    KILN_CHECK(da == db || da == 1 || db == 1, kValue, op, ": shapes ", a.str(), " and ",
               b.str(), " cannot be broadcast together (dimension ", i, ": ", da, " vs ", db,
               "; expected equal sizes or 1)");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

}  // namespace kiln
