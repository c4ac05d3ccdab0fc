// Each check of validate.h on a file built to break exactly that check.
#include "serialization/validate.h"

#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <optional>

#include "kernels/core/error.h"
#include "kernels/op_call.h"
#include "serialization/kiln_generated.h"
#include "serialization/model_file.h"
#include "serialization/testing/tiny_models.h"

namespace kiln {
namespace serialization {
namespace {

// Plain descriptions of a file's tables, written as given (no checks).
struct AttrSpec {
  std::string name;
  fb::AttrValue type = fb::AttrValue::IntAttr;
  int64_t i = 0;
  std::vector<int64_t> ints;
  bool null_value = false;
};
struct ValueSpec {
  std::string name;
  fb::ValueKind kind = fb::ValueKind::Intermediate;
  fb::DType dtype = fb::DType::Float32;
  std::vector<int64_t> shape;
  uint32_t dynamic_dims = 0;
  std::optional<std::string> data;
  bool misalign = false;
};
struct NodeSpec {
  std::string op;
  uint32_t version = 1;
  std::vector<int> inputs, outputs;
  std::vector<AttrSpec> attrs;
};
struct ModelSpec {
  uint32_t format_version = kFormatVersion;
  std::vector<ValueSpec> values;
  std::vector<NodeSpec> nodes;
  std::vector<std::pair<std::string, int>> outputs;
  std::vector<std::pair<int, int>> updates;
  std::vector<std::pair<std::string, std::string>> metadata;
};

std::string floats(std::initializer_list<float> v) {
  return std::string(reinterpret_cast<const char*>(v.begin()), v.size() * sizeof(float));
}

// x (2, 3) input, w (3,) constant, s (2, 3) state; %3 = mul(x, w);
// %4 = add(%3, s); output y = %4; s <- %4.
ModelSpec valid_spec() {
  ModelSpec m;
  m.values = {
      {"x", fb::ValueKind::Input, fb::DType::Float32, {2, 3}, 1, std::nullopt},
      {"w", fb::ValueKind::Constant, fb::DType::Float32, {3}, 0, floats({1, 2, 3})},
      {"s", fb::ValueKind::State, fb::DType::Float32, {2, 3}, 0, floats({1, 2, 3, 4, 5, 6})},
      {"", fb::ValueKind::Intermediate, fb::DType::Float32, {2, 3}, 0, std::nullopt},
      {"sum", fb::ValueKind::Intermediate, fb::DType::Float32, {2, 3}, 0, std::nullopt},
  };
  m.nodes = {{"mul", 1, {0, 1}, {3}, {}}, {"add", 1, {3, 2}, {4}, {}}};
  m.outputs = {{"y", 4}};
  m.updates = {{2, 4}};
  m.metadata = {{"user_info", "test"}};
  return m;
}

std::string build(const ModelSpec& spec) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<fb::Value>> values;
  for (const ValueSpec& v : spec.values) {
    flatbuffers::Offset<flatbuffers::Vector<uint8_t>> data;
    if (v.data) {
      // Misaligned: 4 bytes past a multiple of 64 (see FlatBufferBuilder).
      fbb.ForceVectorAlignment(v.data->size() + (v.misalign ? 4 : 0), 1, kDataAlignment);
      data = fbb.CreateVector(reinterpret_cast<const uint8_t*>(v.data->data()), v.data->size());
    }
    values.push_back(fb::CreateValue(fbb, fbb.CreateString(v.name), v.kind, v.dtype,
                                     fbb.CreateVector(v.shape), v.dynamic_dims, data));
  }
  std::vector<flatbuffers::Offset<fb::Node>> nodes;
  for (const NodeSpec& n : spec.nodes) {
    std::vector<flatbuffers::Offset<fb::Attr>> attrs;
    for (const AttrSpec& a : n.attrs) {
      flatbuffers::Offset<void> value;
      if (!a.null_value) {
        switch (a.type) {
          case fb::AttrValue::IntAttr:
            value = fb::CreateIntAttr(fbb, a.i).Union();
            break;
          case fb::AttrValue::BoolAttr:
            value = fb::CreateBoolAttr(fbb, a.i != 0).Union();
            break;
          case fb::AttrValue::IntsAttr:
            value = fb::CreateIntsAttr(fbb, fbb.CreateVector(a.ints)).Union();
            break;
          default:
            value = fb::CreateIntAttr(fbb, a.i).Union();
            break;
        }
      }
      attrs.push_back(fb::CreateAttr(fbb, fbb.CreateString(a.name), a.type, value));
    }
    nodes.push_back(fb::CreateNode(fbb, fbb.CreateString(n.op), n.version,
                                   fbb.CreateVector(n.inputs), fbb.CreateVector(n.outputs),
                                   fbb.CreateVector(attrs)));
  }
  std::vector<flatbuffers::Offset<fb::NamedValue>> outputs;
  for (const auto& [name, id] : spec.outputs)
    outputs.push_back(fb::CreateNamedValue(fbb, fbb.CreateString(name), id));
  std::vector<flatbuffers::Offset<fb::StateUpdate>> updates;
  for (const auto& [s, v] : spec.updates) updates.push_back(fb::CreateStateUpdate(fbb, s, v));
  std::vector<flatbuffers::Offset<fb::KeyValue>> meta;
  for (const auto& [k, v] : spec.metadata)
    meta.push_back(fb::CreateKeyValue(fbb, fbb.CreateString(k), fbb.CreateString(v)));
  fb::FinishModelBuffer(
      fbb,
      fb::CreateModel(fbb, spec.format_version, fbb.CreateString("validate_test"),
                      fbb.CreateVector(values), fbb.CreateVector(nodes), fbb.CreateVector(outputs),
                      fbb.CreateVector(updates), fbb.CreateVector(meta)));
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

// The kFormat message reading `bytes` gives ("" when it loads).
std::string format_error(const std::string& bytes, const OpTable& ops = op_table()) {
  try {
    read_model(ModelBytes::copy(bytes), ops);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kFormat) << e.what();
    return e.what();
  }
  return "";
}

std::string format_error(const std::function<void(ModelSpec&)>& edit) {
  ModelSpec spec = valid_spec();
  edit(spec);
  return format_error(build(spec));
}

#define EXPECT_HAS(haystack, needle)                                    \
  do {                                                                  \
    const std::string h_ = (haystack);                                  \
    EXPECT_NE(h_.find(needle), std::string::npos) << "message: " << h_; \
  } while (0)

TEST(Validate, TheValidSpecLoads) {
  const LoadedModel m = read_model(build(valid_spec()));
  EXPECT_EQ(m.graph.str(),
            "input %0:x float32(2, 3) dynamic=1\n"
            "const %1:w float32(3,)\n"
            "state %2:s float32(2, 3)\n"
            "%3 = mul(%0:x, %1:w)  # float32(2, 3)\n"
            "%4:sum = add(%3, %2:s)  # float32(2, 3)\n"
            "output y = %4:sum\n"
            "update %2:s <- %4:sum\n");
  EXPECT_EQ(m.metadata.at("user_info"), "test");
}

TEST(Validate, NotAModel) {
  EXPECT_HAS(format_error(""), "0 bytes");
  EXPECT_HAS(format_error("hello"), "5 bytes");
  EXPECT_HAS(format_error(std::string(64, 'z')), "expected 'KILN'");
  std::string bytes = build(valid_spec());
  bytes[4] = 'X';
  EXPECT_HAS(format_error(bytes), "identifier (bytes 4 to 7) is 'XILN'");
  std::string root = bytes;
  root[4] = 'K';
  std::memset(&root[0], 0xff, 4);  // the root offset
  EXPECT_HAS(format_error(root), "root table offset");
}

TEST(Validate, NewerFormatVersionNamesBothVersions) {
  const std::string message = format_error([](ModelSpec& m) { m.format_version = 7; });
  EXPECT_HAS(message, "format version 7 is newer");
  EXPECT_HAS(message, "(format version 1)");
  // Named even when the rest of the file does not verify under this schema.
  ModelSpec spec = valid_spec();
  spec.format_version = 9;
  std::string bytes = build(spec);
  bytes.resize(bytes.size() - 40);
  EXPECT_HAS(format_error(bytes), "format version 9 is newer");
  EXPECT_HAS(format_error([](ModelSpec& m) { m.format_version = 0; }), "format version is 0");
}

TEST(Validate, TruncatedFileFailsTheVerifier) {
  std::string bytes = build(valid_spec());
  bytes.resize(bytes.size() - 8);
  EXPECT_HAS(format_error(bytes), "FlatBuffers verifier rejects");
}

TEST(Validate, ListsEveryUnknownOpAndEveryNewerOpVersion) {
  const std::string message = format_error([](ModelSpec& m) {
    m.nodes[0].op = "frobnicate";
    m.nodes[1].op = "defrobnicate";
  });
  EXPECT_HAS(message,
             "2 ops this kiln does not know: 'defrobnicate' (node 1), 'frobnicate' (node 0)");
  const std::string versions = format_error([](ModelSpec& m) {
    m.nodes[0].version = 5;
    m.nodes[1].op = "nope";
  });
  EXPECT_HAS(versions, "'nope' (node 1)");
  EXPECT_HAS(versions, "op 'mul' at node 0 is version 5, newer than this kiln's version 1");
  EXPECT_HAS(format_error([](ModelSpec& m) { m.nodes[1].version = 0; }), "op version 0");
  EXPECT_HAS(format_error([](ModelSpec& m) { m.nodes[1].op = ""; }), "no op name");
}

std::vector<TensorMeta> first_input(const OpDef&, const Attrs&, const std::vector<TensorMeta>& in) {
  return {in[0]};
}

// Written by a kiln whose table knows ops this one lacks or has newer versions.
TEST(Validate, OpsFromANewerTable) {
  OpTable newer, older;
  newer.define("shiny").inputs(1).infer(first_input);
  newer.define("relu").version(3).inputs(1).infer(first_input);
  newer.define("sparkly").inputs(1).infer(first_input);
  older.define("relu").version(2).inputs(1).infer(first_input);
  graph::Graph g;
  const graph::ValueId x = g.add_input("x", {DType::kFloat32, {2}});
  graph::ValueId y = g.add_node(OpCall(newer.get("shiny"), {}), {x})[0];
  y = g.add_node(OpCall(newer.get("relu"), {}), {y})[0];
  y = g.add_node(OpCall(newer.get("sparkly"), {}), {y})[0];
  y = g.add_node(OpCall(newer.get("shiny"), {}), {y})[0];
  g.add_output("y", y);
  const std::string message = format_error(write_model(g), older);
  EXPECT_HAS(message, "2 ops this kiln does not know: 'shiny' (nodes 0, 3), 'sparkly' (node 2)");
  EXPECT_HAS(message, "op 'relu' at node 1 is version 3, newer than this kiln's version 2");
  EXPECT_EQ(format_error(write_model(g), newer), "");
}

TEST(Validate, ValueKindsDTypesAndShapes) {
  EXPECT_HAS(format_error([](ModelSpec& m) { m.values[0].kind = fb::ValueKind(9); }),
             "value %0 'x' has kind 9");
  EXPECT_HAS(format_error([](ModelSpec& m) { m.values[0].dtype = fb::DType(6); }),
             "has dtype 6; expected 0 to 5");
  EXPECT_HAS(format_error([](ModelSpec& m) {
               m.values[0].shape = {2, -3};
             }),
             "dimension 1 of size -3; expected sizes >= 0");
  EXPECT_HAS(format_error([](ModelSpec& m) { m.values[0].shape = std::vector<int64_t>(9, 1); }),
             "rank 9; expected at most 8");
  EXPECT_HAS(format_error([](ModelSpec& m) {
               m.values[0].shape = {int64_t{1} << 30, int64_t{1} << 30};
             }),
             "too large a shape");
  EXPECT_HAS(format_error([](ModelSpec& m) {
               m.values[0].shape = {0, INT64_MAX};
             }),
             "too large a shape");
  EXPECT_HAS(format_error([](ModelSpec& m) { m.values[0].dynamic_dims = 4; }),
             "marks dynamic dimensions 4");
  EXPECT_HAS(format_error([](ModelSpec& m) { m.values[0].name = ""; }),
             "graph input without a name");
  EXPECT_HAS(format_error([](ModelSpec& m) { m.values[4].name = "w"; }),
             "value %4 'w': the name is used twice");
}

TEST(Validate, ConstantAndStateBytes) {
  EXPECT_HAS(format_error([](ModelSpec& m) {
               m.values[1].data = floats({1, 2});
             }),
             "value %1 'w' has 8 bytes of data; expected 12 for float32(3,)");
  EXPECT_HAS(format_error([](ModelSpec& m) { m.values[1].data.reset(); }),
             "constant without data; expected 12 bytes");
  EXPECT_HAS(format_error([](ModelSpec& m) { m.values[2].data = ""; }),
             "value %2 's' has 0 bytes of data; expected 24");
  EXPECT_HAS(format_error([](ModelSpec& m) { m.values[0].data = ""; }), "is an input but has data");
  EXPECT_HAS(format_error([](ModelSpec& m) { m.values[1].misalign = true; }),
             "expected a multiple of 64");
  EXPECT_HAS(format_error([](ModelSpec& m) {
               m.values.push_back({"flags",
                                   fb::ValueKind::Constant,
                                   fb::DType::Bool,
                                   {3},
                                   0,
                                   std::string("\x01\x00\x02", 3)});
             }),
             "element 2 is the byte 2; expected 0 or 1");
}

TEST(Validate, IdsOrderAndCycles) {
  EXPECT_HAS(format_error([](ModelSpec& m) {
               m.nodes[0].inputs = {0, 99};
             }),
             "node 0 (mul) input 1 is value %99; expected an id in [0, 5)");
  EXPECT_HAS(format_error([](ModelSpec& m) {
               m.nodes[0].inputs = {0, -1};
             }),
             "input 1 is value %-1");
  // A cycle: mul reads the add that reads the mul.
  EXPECT_HAS(format_error([](ModelSpec& m) {
               m.nodes[0].inputs = {0, 4};
             }),
             "not defined before the node");
  EXPECT_HAS(format_error([](ModelSpec& m) {
               m.nodes[0].inputs = {0, 3};
             }),
             "not defined before the node");
  EXPECT_HAS(format_error([](ModelSpec& m) { m.nodes[0].outputs = {4}; }),
             "node 0 (mul) output 0 is value %4; expected %3");
  EXPECT_HAS(format_error([](ModelSpec& m) { std::swap(m.nodes[0], m.nodes[1]); }),
             "node 0 (add) output 0 is value %4; expected %3");
  EXPECT_HAS(format_error([](ModelSpec& m) {
               std::swap(m.nodes[0], m.nodes[1]);
               std::swap(m.nodes[0].outputs, m.nodes[1].outputs);
             }),
             "node 0 (add) input 0 is value %3, which is not defined before the node");
  EXPECT_HAS(format_error([](ModelSpec& m) { m.nodes.pop_back(); }),
             "value %4 is an intermediate that no node produces");
  EXPECT_HAS(format_error([](ModelSpec& m) { m.nodes[0].inputs = {0}; }),
             "node 0 (mul) has 1 inputs; expected 2");
  EXPECT_HAS(format_error([](ModelSpec& m) {
               m.nodes[0].outputs = {3, 4};
             }),
             "node 1 (add) has outputs past the last intermediate");
  EXPECT_HAS(format_error([](ModelSpec& m) {
               m.nodes[0].outputs = {3, 4};
               m.values.push_back(m.values[4]);
               m.values[4].name = "";
               m.nodes[1].outputs = {5};
               m.outputs[0].second = 5;
               m.updates.clear();
             }),
             "node 0 (mul) has 2 outputs in the file; expected 1");
  EXPECT_HAS(format_error([](ModelSpec& m) {
               m.values[3].shape = {3, 2};
             }),
             "is float32(3, 2) in the file, but mul infers float32(2, 3)");
  EXPECT_HAS(format_error([](ModelSpec& m) { m.values[0].dtype = fb::DType::Int32; }),
             "node 0 (mul)");
}

TEST(Validate, Attributes) {
  const auto with_sum = [](std::vector<AttrSpec> attrs) {
    return [attrs](ModelSpec& m) {
      m.values.push_back(
          {"total", fb::ValueKind::Intermediate, fb::DType::Float32, {2}, 0, std::nullopt});
      m.nodes.push_back({"sum", 1, {4}, {5}, attrs});
    };
  };
  AttrSpec axes{"axes", fb::AttrValue::IntsAttr, 0, {1}};
  AttrSpec keep{"keepdims", fb::AttrValue::BoolAttr, 0};
  EXPECT_EQ(format_error(with_sum({axes, keep})), "");
  EXPECT_EQ(format_error(with_sum({axes})), "");  // keepdims has a default
  AttrSpec int_axes{"axes", fb::AttrValue::IntAttr, 1};
  EXPECT_HAS(format_error(with_sum({int_axes})),
             "node 2 (sum): attribute 'axes' is of type int (1); expected list of ints");
  AttrSpec bad_type{"axes", fb::AttrValue(42), 1};
  EXPECT_HAS(format_error(with_sum({bad_type})), "is of type ? (42)");
  AttrSpec none{"axes", fb::AttrValue::IntsAttr, 0, {}, /*null_value=*/true};
  EXPECT_HAS(format_error(with_sum({none})), "attribute 'axes' has no value");
  AttrSpec unknown{"axis", fb::AttrValue::IntAttr, 1};
  EXPECT_HAS(format_error(with_sum({unknown})),
             "unknown attribute 'axis'; expected one of: axes, keepdims");
  EXPECT_HAS(format_error(with_sum({axes, axes})), "attribute 'axes' appears twice");
  AttrSpec bad_axis{"axes", fb::AttrValue::IntsAttr, 0, {5}};
  EXPECT_HAS(format_error(with_sum({bad_axis})), "node 2 (sum): ");
  // An attribute without a default must be there.
  EXPECT_HAS(format_error([](ModelSpec& m) {
               m.values.push_back(
                   {"", fb::ValueKind::Intermediate, fb::DType::Int32, {2, 3}, 0, std::nullopt});
               m.nodes.push_back({"cast", 1, {4}, {5}, {}});
             }),
             "node 2 (cast): attribute 'dtype' is missing; expected a string");
}

TEST(Validate, OutputsUpdatesAndMetadata) {
  EXPECT_HAS(format_error([](ModelSpec& m) {
               m.outputs.push_back({"y", 3});
             }),
             "graph output name 'y' is used twice");
  EXPECT_HAS(format_error([](ModelSpec& m) { m.outputs[0].first = ""; }),
             "graph output 0 has no name");
  EXPECT_HAS(format_error([](ModelSpec& m) { m.outputs[0].second = 5; }),
             "graph output 'y' is value %5");
  EXPECT_HAS(format_error([](ModelSpec& m) { m.updates[0].first = 1; }),
             "updates value %1; expected the id of a state");
  EXPECT_HAS(format_error([](ModelSpec& m) { m.updates[0].second = 1; }),
             "to value %1 of float32(3,); expected equal metas");
  EXPECT_HAS(format_error([](ModelSpec& m) { m.updates[0].second = 7; }),
             "to value %7; expected an id in [0, 5)");
  EXPECT_HAS(format_error([](ModelSpec& m) {
               m.updates.push_back({2, 3});
             }),
             "state %2 is updated twice");
  EXPECT_HAS(format_error([](ModelSpec& m) {
               m.metadata.push_back({"user_info", "again"});
             }),
             "metadata key 'user_info' appears twice");
}

// A file whose tables all point at one shared attribute cannot make the reader
// copy the same bytes over and over.
TEST(Validate, SharedDataIsBounded) {
  flatbuffers::FlatBufferBuilder fbb;
  const auto big = fb::CreateIntsAttr(fbb, fbb.CreateVector(std::vector<int64_t>(2000, 0)));
  const auto attr =
      fb::CreateAttr(fbb, fbb.CreateString("axes"), fb::AttrValue::IntsAttr, big.Union());
  const auto attrs = fbb.CreateVector(std::vector<flatbuffers::Offset<fb::Attr>>{attr});
  std::vector<flatbuffers::Offset<fb::Value>> values = {
      fb::CreateValue(fbb, fbb.CreateString("x"), fb::ValueKind::Input, fb::DType::Float32,
                      fbb.CreateVector(std::vector<int64_t>{2}))};
  std::vector<flatbuffers::Offset<fb::Node>> nodes;
  for (int i = 0; i < 8; ++i) {
    nodes.push_back(fb::CreateNode(fbb, fbb.CreateString("sum"), 1,
                                   fbb.CreateVector(std::vector<int>{i}),
                                   fbb.CreateVector(std::vector<int>{i + 1}), attrs));
    values.push_back(fb::CreateValue(fbb, 0, fb::ValueKind::Intermediate, fb::DType::Float32,
                                     fbb.CreateVector(std::vector<int64_t>{})));
  }
  fb::FinishModelBuffer(
      fbb, fb::CreateModel(fbb, 1, 0, fbb.CreateVector(values), fbb.CreateVector(nodes)));
  const std::string bytes(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  EXPECT_HAS(format_error(bytes), "past its size");
}

TEST(Validate, MisalignedPointersAreACallerError) {
  const std::string bytes = build(valid_spec());
  std::vector<uint64_t> storage(bytes.size() / 8 + 2);
  auto* p = reinterpret_cast<uint8_t*>(storage.data()) + 1;
  std::memcpy(p, bytes.data(), bytes.size());
  try {
    validate_model(p, bytes.size(), op_table());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kValue);
  }
  std::memcpy(storage.data(), bytes.data(), bytes.size());
  EXPECT_EQ(validate_model(reinterpret_cast<uint8_t*>(storage.data()), bytes.size(), op_table()),
            1u);
}

}  // namespace
}  // namespace serialization
}  // namespace kiln
