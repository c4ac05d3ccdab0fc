// Model::load and Model::load_bytes (graph/runtime.h), defined in model_io.cc.
#include <gtest/gtest.h>

#include <cstdio>

#include "graph/runtime.h"
#include "kernels/core/error.h"
#include "serialization/model_file.h"
#include "serialization/testing/tiny_models.h"

namespace kiln {
namespace {

TEST(ModelIo, LoadsAFileAndBytes) {
  const std::string path = ::testing::TempDir() + "/model_io_test.kiln";
  serialization::write_model_file(path, serialization::testing::tiny_inference_graph(),
                                  {{serialization::kUserInfoKey, "io"}});
  const Model model = Model::load(path);
  ASSERT_EQ(model.inputs().size(), 1u);
  EXPECT_EQ(model.inputs()[0].name, "x");
  ASSERT_EQ(model.outputs().size(), 3u);
  EXPECT_EQ(model.outputs()[0].name, "probs");
  EXPECT_EQ(model.metadata().at(serialization::kUserInfoKey), "io");
  const std::string bytes = serialization::write_model(serialization::testing::tiny_cnn_graph());
  EXPECT_EQ(Model::load_bytes(bytes.data(), bytes.size()).graph().str(),
            serialization::testing::tiny_cnn_graph().str());
  std::remove(path.c_str());
}

TEST(ModelIo, BadFilesAreFormatErrorsNamingThePath) {
  const std::string path = ::testing::TempDir() + "/model_io_test_bad.kiln";
  std::string bytes = serialization::write_model(serialization::testing::tiny_training_graph());
  bytes.resize(bytes.size() / 2);
  FILE* f = std::fopen(path.c_str(), "wb");
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  try {
    Model::load(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kFormat);
    EXPECT_EQ(std::string(e.what()).rfind(path + ": invalid model file", 0), 0u) << e.what();
  }
  try {
    Model::load_bytes("not a model", 11);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kFormat);
  }
  std::remove(path.c_str());
}

}  // namespace
}  // namespace kiln
