#include "serialization/model_file.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>

#include "kernels/core/error.h"
#include "kernels/op_call.h"
#include "serialization/testing/tiny_models.h"

namespace kiln {
namespace serialization {
namespace {

using graph::Graph;
using graph::ValueId;
using graph::ValueKind;

std::string tensor_bytes(const Tensor& t) {
  const Tensor c = t.contiguous();
  return std::string(static_cast<const char*>(c.raw_data()), c.nbytes());
}

// Same text, same roles, names, dynamic dims and tensor bytes.
void expect_same_graph(const Graph& want, const Graph& got) {
  EXPECT_EQ(want.str(), got.str());
  ASSERT_EQ(want.num_values(), got.num_values());
  for (ValueId id = 0; id < want.num_values(); ++id) {
    const graph::Value &a = want.value(id), &b = got.value(id);
    EXPECT_EQ(a.kind, b.kind) << id;
    EXPECT_EQ(a.meta, b.meta) << id;
    EXPECT_EQ(a.name, b.name) << id;
    EXPECT_EQ(a.dynamic_dims, b.dynamic_dims) << id;
    EXPECT_EQ(a.producer, b.producer) << id;
    EXPECT_EQ(a.output_index, b.output_index) << id;
    if (a.kind == ValueKind::kConstant || a.kind == ValueKind::kState) {
      EXPECT_EQ(tensor_bytes(want.tensor(id)), tensor_bytes(got.tensor(id))) << a.name;
    }
  }
  EXPECT_EQ(want.inputs(), got.inputs());
  EXPECT_EQ(want.states(), got.states());
  EXPECT_EQ(want.state_updates(), got.state_updates());
  ASSERT_EQ(want.nodes().size(), got.nodes().size());
  for (size_t n = 0; n < want.nodes().size(); ++n) {
    EXPECT_EQ(want.nodes()[n].op, got.nodes()[n].op) << n;
    EXPECT_EQ(want.nodes()[n].inputs, got.nodes()[n].inputs) << n;
    EXPECT_EQ(want.nodes()[n].outputs, got.nodes()[n].outputs) << n;
  }
}

TEST(ModelFile, InferenceGraphRoundTrips) {
  const Graph g = testing::tiny_inference_graph();
  const std::map<std::string, std::string> meta = {{kUserInfoKey, "hello"},
                                                   {kOptimizationKey, "fuse=1"}};
  const std::string bytes = write_model(g, meta, "kiln test");
  const LoadedModel m = read_model(bytes);
  expect_same_graph(g, m.graph);
  EXPECT_EQ(m.metadata, meta);
  EXPECT_EQ(m.format_version, kFormatVersion);
  EXPECT_EQ(m.producer, "kiln test");
  // Writing the loaded graph gives the same bytes.
  EXPECT_EQ(write_model(m.graph, meta, "kiln test"), bytes);
}

TEST(ModelFile, TrainingGraphRoundTripsWithStateUpdates) {
  const Graph g = testing::tiny_training_graph();
  const LoadedModel m = read_model(write_model(g));
  expect_same_graph(g, m.graph);
  EXPECT_EQ(m.graph.state_updates().size(), 1u);
  EXPECT_EQ(m.producer, kDefaultProducer);
  EXPECT_TRUE(m.metadata.empty());
  // States are copies: a run may write them back.
  for (ValueId s : m.graph.states())
    EXPECT_FALSE(m.graph.tensor(s).storage()->is_borrowed()) << m.graph.value(s).name;
}

TEST(ModelFile, ConstantsAreAlignedAndUsedInPlace) {
  const Graph g = testing::tiny_inference_graph();
  const std::string written = write_model(g);
  const auto bytes = ModelBytes::copy(written);
  ASSERT_EQ(reinterpret_cast<uintptr_t>(bytes->data()) % kDataAlignment, 0u);
  LoadedModel m = read_model(bytes);
  const uint8_t* begin = bytes->data();
  const uint8_t* end = begin + bytes->size();
  int constants = 0;
  for (ValueId id = 0; id < m.graph.num_values(); ++id) {
    if (m.graph.value(id).kind != ValueKind::kConstant) continue;
    ++constants;
    const Tensor& t = m.graph.tensor(id);
    const auto* p = static_cast<const uint8_t*>(t.raw_data());
    EXPECT_TRUE(p >= begin && p + t.nbytes() <= end) << m.graph.value(id).name;
    EXPECT_EQ((p - begin) % kDataAlignment, 0) << m.graph.value(id).name;
    EXPECT_TRUE(t.storage()->is_borrowed());
    // The bytes in the file are the tensor's.
    EXPECT_EQ(std::memcmp(p, tensor_bytes(g.tensor(id)).data(), t.nbytes()), 0);
  }
  EXPECT_EQ(constants, 5);
  // The tensors keep the bytes alive after the model and the caller let go.
  const Tensor w = m.graph.tensor(1);
  const std::string want = tensor_bytes(g.tensor(1));
  { LoadedModel gone = std::move(m); }
  EXPECT_EQ(std::string(static_cast<const char*>(w.raw_data()), w.nbytes()), want);
}

// An op with one attribute of every AttrType, so that each round-trips
// (kiln's own table has no list-of-floats attribute).
std::vector<TensorMeta> identity_infer(const OpDef&, const Attrs&,
                                       const std::vector<TensorMeta>& in) {
  return {in[0]};
}

const OpTable& test_table() {
  static const OpTable* table = [] {
    auto* t = new OpTable();
    t->define("all_attrs")
        .inputs(1)
        .attr("i", AttrType::kInt)
        .attr("f", AttrType::kFloat)
        .attr("b", AttrType::kBool)
        .attr("s", AttrType::kString)
        .attr("ints", AttrType::kInts)
        .attr("floats", AttrType::kFloats)
        .attr("defaulted", AttrType::kInt, int64_t{7})
        .infer(identity_infer);
    t->define("two").inputs(1).outputs(2).infer(
        [](const OpDef&, const Attrs&, const std::vector<TensorMeta>& in) {
          return std::vector<TensorMeta>{in[0], {DType::kInt32, in[0].shape}};
        });
    return t;
  }();
  return *table;
}

TEST(ModelFile, EveryAttributeTypeRoundTrips) {
  const OpTable& table = test_table();
  Graph g;
  const ValueId x = g.add_input("x", {DType::kFloat32, {3}});
  const Attrs attrs = {{"i", int64_t{-1234567890123}},
                       {"f", 0.1},
                       {"b", true},
                       {"s", std::string("a string\0with a nul", 19)},
                       {"ints", std::vector<int64_t>{1, -2, INT64_MAX, INT64_MIN}},
                       {"floats", std::vector<double>{0.5, -1e300, 1e-310}}};
  const ValueId y = g.add_node(OpCall(table.get("all_attrs"), attrs), {x})[0];
  const Attrs empty_lists = {{"i", int64_t{0}},
                             {"f", 0.0},
                             {"b", false},
                             {"s", std::string()},
                             {"ints", std::vector<int64_t>{}},
                             {"floats", std::vector<double>{}}};
  const ValueId z = g.add_node(OpCall(table.get("all_attrs"), empty_lists), {y})[0];
  const std::vector<ValueId> two = g.add_node(OpCall(table.get("two"), {}), {z});
  g.mutable_value(two[1]).name = "second";
  g.add_output("y", two[0]);
  g.add_output("k", two[1]);

  const LoadedModel m = read_model(ModelBytes::copy(write_model(g)), table);
  expect_same_graph(g, m.graph);
  EXPECT_EQ(m.graph.nodes()[0].op.attrs, g.nodes()[0].op.attrs);
  EXPECT_EQ(m.graph.nodes()[0].op.attrs.get_string("s").size(), 19u);
  EXPECT_EQ(m.graph.nodes()[0].op.attrs.get_int("defaulted"), 7);
  EXPECT_EQ(m.graph.nodes()[1].op.attrs, g.nodes()[1].op.attrs);
}

TEST(ModelFile, EveryValueKindAndDTypeRoundTrips) {
  Graph g;
  const DType dtypes[] = {DType::kFloat32, DType::kFloat16, DType::kInt32,
                          DType::kInt8,    DType::kUInt8,   DType::kBool};
  int k = 0;
  for (DType d : dtypes) {
    Tensor t = Tensor::empty({2, 3}, d);
    auto* p = static_cast<uint8_t*>(t.raw_data());
    for (size_t i = 0; i < t.nbytes(); ++i) p[i] = d == DType::kBool ? i % 2 : uint8_t(i * 37 + k);
    g.add_constant(str_cat("c", k), t);
    g.add_state(str_cat("s", k), t.clone());
    g.add_input(str_cat("i", k), t.meta(), k % 4);
    ++k;
  }
  // An empty tensor and a scalar.
  g.add_constant("empty", Tensor::empty({0, 5}, DType::kFloat32));
  const ValueId scalar = g.add_state("scalar", Tensor::empty({}, DType::kInt32));
  *g.tensor(scalar).data<int32_t>() = 42;
  const ValueId sum = g.add_node(OpCall::make("add", {}), {0, 1})[0];
  g.add_output("sum", sum);
  g.set_state_update(1, sum);
  const LoadedModel m = read_model(write_model(g));
  expect_same_graph(g, m.graph);
}

TEST(ModelFile, PassEditedGraphsAreRenumbered) {
  // A node rewired to a constant added after it, and an orphaned value, as a
  // pass such as constant folding leaves them.
  Graph g;
  const ValueId x = g.add_input("x", {DType::kFloat32, {2}});
  const ValueId e = g.add_node(OpCall::make("exp"), {x})[0];
  const ValueId y = g.add_node(OpCall::make("mul"), {x, e})[0];
  const ValueId c = g.add_constant("folded", Tensor::empty({2}, DType::kFloat32));
  g.mutable_nodes()[1].inputs = {x, c};
  g.mutable_nodes().erase(g.mutable_nodes().begin());
  g.reindex();
  g.add_output("y", y);
  graph::verify(g);
  const LoadedModel m = read_model(write_model(g));
  EXPECT_EQ(m.graph.str(),
            "input %0:x float32(2,)\n"
            "const %1:folded float32(2,)\n"
            "%2 = mul(%0:x, %1:folded)  # float32(2,)\n"
            "output y = %2\n");
  (void)e;
}

TEST(ModelFile, WriterRefusesUnnamedInputsAndOutputs) {
  Graph g;
  const ValueId x = g.add_input("", {DType::kFloat32, {2}});
  g.add_output("y", g.add_node(OpCall::make("exp"), {x})[0]);
  EXPECT_THROW(write_model(g), Error);
  Graph h;
  const ValueId a = h.add_input("a", {DType::kFloat32, {2}});
  h.add_output("", a);
  EXPECT_THROW(write_model(h), Error);
  Graph dup;
  const ValueId d = dup.add_input("d", {DType::kFloat32, {2}});
  dup.add_output("o", d);
  dup.add_output("o", d);
  EXPECT_THROW(write_model(dup), Error);
}

TEST(ModelFile, FilesRoundTripAndMissingFilesSayWhy) {
  const std::string path = ::testing::TempDir() + "/model_file_test.kiln";
  const Graph g = testing::tiny_training_graph();
  write_model_file(path, g, {{kUserInfoKey, "file"}});
  const LoadedModel m = read_model_file(path);
  expect_same_graph(g, m.graph);
  EXPECT_EQ(m.metadata.at(kUserInfoKey), "file");
  std::remove(path.c_str());
  try {
    read_model_file(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kRuntime);
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_model_file(::testing::TempDir()), Error);  // a directory
}

// The committed seed corpus keeps loading: these files double as golden
// files of format version 1.
TEST(ModelFile, CommittedSeedCorpusLoads) {
  for (const auto& [name, bytes] : testing::seed_models()) {
    const std::string path = "serialization/fuzz/corpus/" + name;
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in.is_open()) << path;
    const LoadedModel m = read_model_file(path);
    EXPECT_EQ(m.format_version, 1u);
    EXPECT_EQ(m.graph.str(), read_model(bytes).graph.str()) << name;
  }
}

}  // namespace
}  // namespace serialization
}  // namespace kiln
