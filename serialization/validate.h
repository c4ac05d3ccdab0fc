// Validation of model file bytes, apart from reading them (STYLE.md §6): after
// validate_model returns, the reader may follow every offset and index in the
// file without further checks. It trusts nothing:
//
//  1. structure: size limits, the file identifier "KILN", the format version
//     (read before anything else, so a newer file is named as such even when
//     the rest does not parse), then the FlatBuffers verifier with depth and
//     table-count limits;
//  2. semantics: enum ranges; shapes (rank <= kMaxRank, dims >= 0, byte sizes
//     computed without overflow and bounded); constant and state bytes equal to
//     numel * dtype size, 64-byte aligned, bools 0 or 1; every value id in
//     range; nodes in canonical, topological order (see kiln.fbs); op names
//     known and op versions not newer than the table's (all unknown ops are
//     listed together); attribute names and types against the op's schema;
//     unique names; outputs, state updates and metadata well formed; data
//     shared between tables bounded by the file size.
//
// The checks that need the ops' inference (output counts, dtypes, shapes) run
// when the reader rebuilds the graph, followed by graph::verify.
//
// Every failure throws kiln::Error with ErrorKind::kFormat, whose message says
// what was wrong and what was expected.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kiln {

class OpTable;

namespace serialization {

// Shapes are bounded so that no size or stride computed from them overflows:
// the product of max(dim, 1) over a value's dims is at most this.
constexpr int64_t kMaxElements = int64_t{1} << 48;

// Returns the file's format version. `data` must be 8-byte aligned (ModelBytes
// is 64-byte aligned); a misaligned pointer is a ValueError, not a format one.
uint32_t validate_model(const uint8_t* data, size_t size, const OpTable& ops);

}  // namespace serialization
}  // namespace kiln
