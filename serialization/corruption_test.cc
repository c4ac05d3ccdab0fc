// A valid model truncated at every byte offset and corrupted by random byte
// mutations: each read gives a kFormat error or a valid load, never a crash.
// Run under AddressSanitizer and UBSan in CI: bazel test --config=asan //serialization/...
#include <gtest/gtest.h>

#include <random>

#include "kernels/core/error.h"
#include "serialization/model_file.h"
#include "serialization/testing/tiny_models.h"

namespace kiln {
namespace serialization {
namespace {

enum class Outcome { kLoaded, kFormatError };

// Reads `bytes`; a loaded model must verify, print and write back.
Outcome read(const std::string& bytes, const std::string& what) {
  try {
    const LoadedModel m = read_model(bytes);
    graph::verify(m.graph);
    (void)m.graph.str();
    const LoadedModel again = read_model(write_model(m.graph, m.metadata, m.producer));
    EXPECT_EQ(again.graph.str(), m.graph.str()) << what;
    return Outcome::kLoaded;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kFormat) << what << ": " << e.what();
    EXPECT_GT(std::string(e.what()).size(), 20u) << what;
    return Outcome::kFormatError;
  }
}

TEST(Corruption, TruncatedAtEveryByteOffset) {
  for (const auto& [name, bytes] : testing::seed_models()) {
    for (size_t n = 0; n < bytes.size(); ++n) {
      const bool loaded =
          read(bytes.substr(0, n), name + " truncated to " + std::to_string(n)) == Outcome::kLoaded;
      // The first constant's bytes sit at the end of the file, followed only
      // by padding to the 64-byte alignment: cutting padding keeps a valid file.
      if (loaded) EXPECT_GT(n + kDataAlignment, bytes.size()) << name << " truncated to " << n;
    }
    EXPECT_EQ(read(bytes, name), Outcome::kLoaded);
  }
}

// The inference and training seeds only: the CNN seed reaches ops whose
// inference can still overflow on absurd attribute values (tools/fuzz.sh
// covers it).
TEST(Corruption, RandomByteMutations) {
  std::mt19937_64 rng(20240607);
  int runs = 0, loaded = 0;
  for (const auto& [name, bytes] : testing::seed_models()) {
    if (name != "inference.kiln" && name != "training.kiln") continue;
    const int count = name == "inference.kiln" ? 10000 : 5000;
    for (int i = 0; i < count; ++i) {
      std::string m = bytes;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        const size_t at = rng() % m.size();
        switch (rng() % 4) {
          case 0:
            m[at] = static_cast<char>(rng());
            break;  // any byte
          case 1:
            m[at] ^= static_cast<char>(1u << (rng() % 8));
            break;  // one bit
          case 2:
            m[at] = static_cast<char>((rng() % 2) ? 0x00 : 0xff);
            break;
          default:
            m[at] = static_cast<char>(m[at] + ((rng() % 2) ? 1 : -1));
            break;
        }
      }
      loaded += read(m, name + " mutation " + std::to_string(i)) == Outcome::kLoaded;
      ++runs;
    }
  }
  EXPECT_EQ(runs, 15000);
  // Mutations of constant bytes, of unused padding and of values the ops
  // accept load; most others do not.
  EXPECT_GT(loaded, 0);
  EXPECT_LT(loaded, runs);
  std::printf("%d of %d mutated files loaded, the rest gave format errors\n", loaded, runs);
}

}  // namespace
}  // namespace serialization
}  // namespace kiln
