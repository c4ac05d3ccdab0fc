#include "serialization/validate.h"

#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/core/error.h"
#include "kernels/core/tensor.h"
#include "kernels/op_def.h"
#include "serialization/kiln_generated.h"
#include "serialization/model_file.h"

namespace kiln {
namespace serialization {
namespace {

template <typename... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  throw_error(ErrorKind::kFormat, "invalid model file: ", parts...);
}

// A string field: empty when absent.
std::string_view view(const flatbuffers::String* s) {
  return s ? std::string_view(s->c_str(), s->size()) : std::string_view();
}

template <typename T>
uint32_t length(const flatbuffers::Vector<T>* v) {
  return v ? v->size() : 0;
}

// Counts bytes the reader will copy out of the file (names, attributes,
// states, metadata). A file whose tables share data could make the reader
// copy the same bytes many times; a file written by kiln copies each at most
// about once, so the total may not exceed the file size.
class CopyBudget {
 public:
  explicit CopyBudget(size_t file_size) : left_(file_size + 4096) {}
  void spend(size_t bytes, const std::string& what) {
    if (bytes > left_)
      fail(what, " takes the bytes copied out of the file past its size; expected each ",
           "string, attribute and state to be stored once, not shared between tables");
    left_ -= bytes;
  }

 private:
  size_t left_;
};

// FlatBuffers 2.0.8's verifier checks only a vector's 4-byte length prefix
// for alignment; vectors of 8-byte elements must be checked before reading.
template <typename T>
void check_aligned(const flatbuffers::Vector<T>* v, const uint8_t* file, const std::string& what) {
  if (v == nullptr || v->size() == 0) return;  // writers do not align empty vectors
  const size_t offset = static_cast<size_t>(v->Data() - file);
  if (offset % alignof(T) != 0)
    fail(what, " starts at byte offset ", offset, "; expected a multiple of ", alignof(T));
}

// ---- 1. Structure -----------------------------------------------------------

uint32_t check_structure(const uint8_t* data, size_t size) {
  if (size < 2 * sizeof(flatbuffers::uoffset_t))
    fail("the file is ", size, " bytes; expected a FlatBuffer with file identifier '",
         fb::ModelIdentifier(), "' (at least 8 bytes)");
  if (size >= FLATBUFFERS_MAX_BUFFER_SIZE)
    fail("the file is ", size, " bytes; expected less than ", FLATBUFFERS_MAX_BUFFER_SIZE,
         " (the FlatBuffers limit)");
  if (!fb::ModelBufferHasIdentifier(data)) {
    std::string id;
    for (int i = 4; i < 8; ++i) {
      const char c = static_cast<char>(data[i]);
      id += (c >= 32 && c < 127) ? std::string(1, c) : str_cat("\\x", std::hex, int(data[i]));
    }
    fail("not a kiln model: the file identifier (bytes 4 to 7) is '", id, "'; expected '",
         fb::ModelIdentifier(), "'");
  }

  // The format version first, verifying only the root table's header and
  // that one field, so that a newer file is reported as newer even when the
  // rest of it does not match this reader's schema.
  {
    flatbuffers::Verifier v(data, size);
    const flatbuffers::uoffset_t root = v.VerifyOffset(0);
    if (root == 0)
      fail("the root table offset ", "is out of range; expected a table inside the file");
    const auto* table = reinterpret_cast<const flatbuffers::Table*>(data + root);
    if (!table->VerifyTableStart(v) ||
        !table->VerifyField<uint32_t>(v, fb::Model::VT_FORMAT_VERSION, sizeof(uint32_t)))
      fail("the root table is corrupt; expected a kiln.fb.Model table");
    const uint32_t version = table->GetField<uint32_t>(fb::Model::VT_FORMAT_VERSION, 0);
    if (version > kFormatVersion)
      throw_error(ErrorKind::kFormat, "model file format version ", version,
                  " is newer than this kiln reads (format version ", kFormatVersion,
                  "); expected a file written by this or an older kiln: upgrade kiln to load it");
    if (version == 0) fail("the format version is 0 or missing; expected 1 to ", kFormatVersion);
  }

  flatbuffers::Verifier::Options options;
  options.max_depth = 16;  // the schema nests tables 4 deep
  // Tables shared through many offsets could make verification quadratic; a
  // table takes at least 4 bytes, so more visits than that are not a real file.
  options.max_tables = static_cast<flatbuffers::uoffset_t>(size / 4 + 16);
  flatbuffers::Verifier verifier(data, size, options);
  if (!fb::VerifyModelBuffer(verifier))
    fail("the FlatBuffers verifier rejects the file (truncated or corrupt: an offset, ",
         "length or string is out of range or misaligned, or tables nest or repeat too much)");
  return fb::GetModel(data)->format_version();
}

// ---- 2. Semantics -----------------------------------------------------------

struct ValueInfo {
  fb::ValueKind kind;
  TensorMeta meta;
};

std::string value_label(int id, std::string_view name) {
  return name.empty() ? str_cat("value %", id) : str_cat("value %", id, " '", name, "'");
}

// Checks one value and returns its kind and meta.
ValueInfo check_value(const fb::Value* v, int id, const uint8_t* file, CopyBudget& budget) {
  if (v == nullptr) fail("value %", id, " is missing; expected a Value table");
  const std::string_view name = view(v->name());
  const std::string label = value_label(id, name);
  budget.spend(name.size(), label);

  const auto kind = v->kind();
  if (static_cast<uint8_t>(kind) > static_cast<uint8_t>(fb::ValueKind::MAX))
    fail(label, " has kind ", int(kind), "; expected 0 to ", int(fb::ValueKind::MAX),
         " (intermediate, input, constant, state)");
  const auto dtype = v->dtype();
  if (static_cast<uint8_t>(dtype) >= kNumDTypes)
    fail(label, " has dtype ", int(dtype), "; expected 0 to ", kNumDTypes - 1);
  if ((kind == fb::ValueKind::Input || kind == fb::ValueKind::State) && name.empty())
    fail(label, " is a graph ", kind == fb::ValueKind::Input ? "input" : "state",
         " without a name; expected a name");

  check_aligned(v->shape(), file, label + "'s shape");
  const uint32_t rank = length(v->shape());
  if (rank > static_cast<uint32_t>(kMaxRank))
    fail(label, " has rank ", rank, "; expected at most ", kMaxRank);
  ValueInfo info{kind, {static_cast<DType>(dtype), Shape()}};
  // The product of max(dim, 1) is bounded, so that no stride or partial
  // product of these dims overflows anywhere later.
  uint64_t extent = 1, numel = 1;
  for (uint32_t d = 0; d < rank; ++d) {
    const int64_t dim = v->shape()->Get(d);
    if (dim < 0) fail(label, " has dimension ", d, " of size ", dim, "; expected sizes >= 0");
    if (dim > kMaxElements || extent > kMaxElements / std::max<uint64_t>(dim, 1))
      fail(label, " has dimension ", d, " of size ", dim, ", too large a shape; expected at most ",
           kMaxElements, " elements");
    info.meta.shape.push_back(dim);
    extent *= std::max<uint64_t>(dim, 1);
    numel *= static_cast<uint64_t>(dim);
  }
  const uint64_t nbytes = numel * dtype_size(info.meta.dtype);  // <= 2^48 * 4
  if (rank < 32 && (v->dynamic_dims() >> rank) != 0)
    fail(label, " marks dynamic dimensions ", v->dynamic_dims(), " (a bit mask) but has rank ",
         rank, "; expected bits below ", rank, " only");

  const flatbuffers::Vector<uint8_t>* data = v->data();
  const bool has_tensor = kind == fb::ValueKind::Constant || kind == fb::ValueKind::State;
  if (!has_tensor) {
    if (data != nullptr)
      fail(label, " is ", kind == fb::ValueKind::Input ? "an input" : "an intermediate",
           " but has data; expected data only for constants and states");
    return info;
  }
  if (data == nullptr)
    fail(label, " is a ", kind == fb::ValueKind::State ? "state" : "constant",
         " without data; expected ", nbytes, " bytes for ", info.meta.str());
  if (data->size() != nbytes)
    fail(label, " has ", data->size(), " bytes of data; expected ", nbytes, " for ",
         info.meta.str(), " (numel ", numel, " * ", dtype_size(info.meta.dtype), " bytes)");
  const size_t offset = static_cast<size_t>(data->data() - file);
  if (nbytes > 0 && offset % kDataAlignment != 0)
    fail(label, " has its data at byte offset ", offset, "; expected a multiple of ",
         kDataAlignment);
  if (info.meta.dtype == DType::kBool)
    for (uint32_t i = 0; i < data->size(); ++i)
      if (data->Get(i) > 1)
        fail(label, " is a bool tensor whose element ", i, " is the byte ", int(data->Get(i)),
             "; expected 0 or 1");
  if (kind == fb::ValueKind::State) budget.spend(nbytes, label);
  return info;
}

std::string node_label(int n, std::string_view op) {
  return op.empty() ? str_cat("node ", n) : str_cat("node ", n, " (", op, ")");
}

// Op names and versions for every node; lists every unknown op and every
// op newer than the table before failing.
std::vector<const OpDef*> check_ops(const fb::Model* model, const OpTable& ops) {
  const uint32_t num_nodes = length(model->nodes());
  std::vector<const OpDef*> defs(num_nodes, nullptr);
  std::map<std::string, std::vector<uint32_t>> unknown;  // op -> nodes
  std::vector<std::string> too_new;
  for (uint32_t n = 0; n < num_nodes; ++n) {
    const fb::Node* node = model->nodes()->Get(n);
    if (node == nullptr) fail("node ", n, " is missing; expected a Node table");
    const std::string_view op = view(node->op());
    if (op.empty()) fail("node ", n, " has no op name; expected the name of a kiln op");
    const OpDef* def = ops.find(std::string(op));
    if (def == nullptr || def->infer == nullptr) {
      auto& nodes = unknown[std::string(op)];
      if (nodes.size() < 100) nodes.push_back(n);  // unknown is bounded by the file size
      continue;
    }
    const uint32_t version = node->op_version();
    if (version == 0) fail(node_label(n, op), " has op version 0; expected 1 to ", def->version);
    if (version > static_cast<uint32_t>(def->version) && too_new.size() < 100)
      too_new.push_back(str_cat("op '", op, "' at node ", n, " is version ", version,
                                ", newer than this kiln's version ", def->version));
    defs[n] = def;
  }
  if (unknown.empty() && too_new.empty()) return defs;
  std::string message;
  if (!unknown.empty()) {
    message = str_cat("the model uses ", unknown.size(), " op", unknown.size() > 1 ? "s" : "",
                      " this kiln does not know: ");
    bool first = true;
    for (const auto& [op, nodes] : unknown) {
      message += str_cat(first ? "" : ", ", "'", op, "' (node", nodes.size() > 1 ? "s" : "");
      for (size_t i = 0; i < nodes.size(); ++i) message += str_cat(i ? ", " : " ", nodes[i]);
      message += ")";
      first = false;
    }
    message += "; expected ops of kiln's op table (a newer kiln may know them)";
  }
  for (const std::string& t : too_new) message += str_cat(message.empty() ? "" : "; ", t);
  if (!too_new.empty()) message += "; expected op versions this kiln knows: upgrade kiln";
  fail(message);
}

const char* union_type_name(fb::AttrValue t) {
  const auto i = static_cast<uint8_t>(t);
  return i >= 1 && i <= 6 ? attr_type_name(static_cast<AttrType>(i - 1)) : "none";
}

void check_attrs(const fb::Node* node, int n, const OpDef& def, const uint8_t* file,
                 CopyBudget& budget) {
  const std::string label = node_label(n, def.name);
  std::set<std::string_view> seen;
  const uint32_t count = length(node->attrs());
  for (uint32_t a = 0; a < count; ++a) {
    const fb::Attr* attr = node->attrs()->Get(a);
    if (attr == nullptr) fail(label, ": attribute ", a, " is missing; expected an Attr table");
    const std::string_view name = view(attr->name());
    budget.spend(name.size(), label);
    if (!seen.insert(name).second)
      fail(label, ": attribute '", name, "' appears twice; expected unique names");
    const AttrSpec* spec = nullptr;
    for (const AttrSpec& s : def.attrs)
      if (s.name == name) spec = &s;
    if (spec == nullptr) {
      std::string known;
      for (const AttrSpec& s : def.attrs) known += str_cat(known.empty() ? "" : ", ", s.name);
      fail(label, ": unknown attribute '", name,
           "'; expected one of: ", known.empty() ? "(none)" : known);
    }
    const fb::AttrValue type = attr->value_type();
    const auto index = static_cast<uint8_t>(type);
    if (index < 1 || index > 6 || static_cast<AttrType>(index - 1) != spec->type)
      fail(label, ": attribute '", name, "' is of type ", index <= 6 ? union_type_name(type) : "?",
           " (", int(index), "); expected ", attr_type_name(spec->type));
    bool present = false;
    switch (type) {
      case fb::AttrValue::IntAttr:
        present = attr->value_as_IntAttr() != nullptr;
        break;
      case fb::AttrValue::FloatAttr:
        present = attr->value_as_FloatAttr() != nullptr;
        break;
      case fb::AttrValue::BoolAttr:
        present = attr->value_as_BoolAttr() != nullptr;
        break;
      case fb::AttrValue::StringAttr: {
        const fb::StringAttr* s = attr->value_as_StringAttr();
        present = s != nullptr;
        if (present) budget.spend(length(s->value()), label);
        break;
      }
      case fb::AttrValue::IntsAttr: {
        const fb::IntsAttr* v = attr->value_as_IntsAttr();
        present = v != nullptr;
        if (present) check_aligned(v->value(), file, str_cat(label, ": attribute '", name, "'"));
        if (present) budget.spend(size_t{8} * length(v->value()), label);
        break;
      }
      case fb::AttrValue::FloatsAttr: {
        const fb::FloatsAttr* v = attr->value_as_FloatsAttr();
        present = v != nullptr;
        if (present) check_aligned(v->value(), file, str_cat(label, ": attribute '", name, "'"));
        if (present) budget.spend(size_t{8} * length(v->value()), label);
        break;
      }
      default:
        break;
    }
    if (!present)
      fail(label, ": attribute '", name, "' has no value; expected a ", attr_type_name(spec->type));
  }
  for (const AttrSpec& s : def.attrs)
    if (!s.default_value && !seen.count(s.name))
      fail(label, ": attribute '", s.name, "' is missing; expected a ", attr_type_name(s.type),
           " (it has no default)");
}

// Ids in range, canonical order (see kiln.fbs) and topological order: walking
// the ids upwards, each intermediate starts the outputs of the next node, and
// a node reads only ids below its first output.
void check_nodes(const fb::Model* model, const std::vector<ValueInfo>& values,
                 const std::vector<const OpDef*>& defs) {
  const int64_t num_values = static_cast<int64_t>(values.size());
  const int64_t num_nodes = static_cast<int64_t>(defs.size());
  int64_t n = 0;
  // Checks node n's ids and that it reads only values below `next_id`.
  const auto check_node = [&](int64_t next_id) {
    const fb::Node* node = model->nodes()->Get(static_cast<uint32_t>(n));
    const std::string label = node_label(static_cast<int>(n), defs[n]->name);
    const OpDef& def = *defs[n];
    const uint32_t num_inputs = length(node->inputs());
    if (def.num_inputs >= 0 ? num_inputs != static_cast<uint32_t>(def.num_inputs) : num_inputs < 1)
      fail(label, " has ", num_inputs, " inputs; expected ",
           def.num_inputs >= 0 ? std::to_string(def.num_inputs) : "at least 1");
    for (uint32_t i = 0; i < num_inputs; ++i) {
      const int64_t in = node->inputs()->Get(i);
      if (in < 0 || in >= num_values)
        fail(label, " input ", i, " is value %", in, "; expected an id in [0, ", num_values, ")");
      if (in >= next_id)
        fail(label, " input ", i, " is value %", in, ", which is not defined before the node ",
             "(its outputs start at %", next_id, "); expected an acyclic graph whose nodes ",
             "are in topological order");
    }
  };
  const auto outputless = [&](int64_t node) {
    return length(model->nodes()->Get(static_cast<uint32_t>(node))->outputs()) == 0;
  };
  for (int64_t id = 0; id < num_values; ++id) {
    if (values[id].kind != fb::ValueKind::Intermediate) continue;
    // Nodes without outputs sit before the next node with outputs.
    for (; n < num_nodes && outputless(n); ++n) check_node(id);
    if (n == num_nodes)
      fail("value %", id, " is an intermediate that no node produces; expected every ",
           "intermediate to be the output of a node (canonical order, see kiln.fbs)");
    const fb::Node* node = model->nodes()->Get(static_cast<uint32_t>(n));
    const std::string label = node_label(static_cast<int>(n), defs[n]->name);
    const auto* outputs = node->outputs();
    for (uint32_t j = 0; j < outputs->size(); ++j) {
      const int64_t out = outputs->Get(j);
      if (out != id + j || out >= num_values || values[out].kind != fb::ValueKind::Intermediate)
        fail(label, " output ", j, " is value %", out, "; expected %", id + j,
             ", an intermediate (the outputs of each node are the next consecutive ids ",
             "in canonical order, see kiln.fbs)");
    }
    check_node(id);
    id += outputs->size() - 1;
    ++n;
  }
  for (; n < num_nodes && outputless(n); ++n) check_node(num_values);
  if (n < num_nodes)
    fail(node_label(static_cast<int>(n), defs[n]->name),
         " has outputs past the last intermediate; expected its outputs to be the next ",
         "intermediates in canonical order");
}

void check_outputs_and_updates(const fb::Model* model, const std::vector<ValueInfo>& values,
                               CopyBudget& budget) {
  const int64_t num_values = static_cast<int64_t>(values.size());
  std::set<std::string_view> names;
  for (uint32_t i = 0; i < length(model->outputs()); ++i) {
    const fb::NamedValue* o = model->outputs()->Get(i);
    if (o == nullptr) fail("graph output ", i, " is missing; expected a NamedValue table");
    const std::string_view name = view(o->name());
    budget.spend(name.size(), "graph output names");
    if (name.empty()) fail("graph output ", i, " has no name; expected a name");
    if (!names.insert(name).second)
      fail("graph output name '", name, "' is used twice; expected unique output names");
    if (o->value() < 0 || o->value() >= num_values)
      fail("graph output '", name, "' is value %", o->value(), "; expected an id in [0, ",
           num_values, ")");
  }
  std::set<int> updated;
  for (uint32_t i = 0; i < length(model->state_updates()); ++i) {
    const fb::StateUpdate* u = model->state_updates()->Get(i);
    if (u == nullptr) fail("state update ", i, " is missing; expected a StateUpdate table");
    const int state = u->state(), value = u->value();
    if (state < 0 || state >= num_values || values[state].kind != fb::ValueKind::State)
      fail("state update ", i, " updates value %", state, "; expected the id of a state");
    if (value < 0 || value >= num_values)
      fail("state update ", i, " sets state %", state, " to value %", value,
           "; expected an id in [0, ", num_values, ")");
    if (values[value].meta != values[state].meta)
      fail("state update ", i, " sets state %", state, " of ", values[state].meta.str(),
           " to value %", value, " of ", values[value].meta.str(), "; expected equal metas");
    if (!updated.insert(state).second)
      fail("state %", state, " is updated twice; expected at most one update per state");
  }
}

void check_metadata(const fb::Model* model, CopyBudget& budget) {
  budget.spend(view(model->producer()).size(), "the producer");
  std::set<std::string_view> keys;
  for (uint32_t i = 0; i < length(model->metadata()); ++i) {
    const fb::KeyValue* kv = model->metadata()->Get(i);
    if (kv == nullptr || kv->key() == nullptr || kv->value() == nullptr)
      fail("metadata entry ", i, " lacks its key or value; expected two strings");
    const std::string_view key = view(kv->key());
    budget.spend(key.size() + kv->value()->size(), "metadata");
    if (!keys.insert(key).second)
      fail("metadata key '", key, "' appears twice; expected unique keys");
  }
}

}  // namespace

uint32_t validate_model(const uint8_t* data, size_t size, const OpTable& ops) {
  KILN_CHECK(reinterpret_cast<uintptr_t>(data) % 8 == 0, kValue,
             "validate_model: the model bytes must be 8-byte aligned (use ModelBytes)");
  const uint32_t version = check_structure(data, size);
  const fb::Model* model = fb::GetModel(data);
  CopyBudget budget(size);

  const uint32_t num_values = length(model->values());  // < size / 4: fits an int
  std::vector<ValueInfo> values;
  values.reserve(num_values);
  std::set<std::string_view> names;
  for (uint32_t i = 0; i < num_values; ++i) {
    const fb::Value* v = model->values()->Get(i);
    values.push_back(check_value(v, static_cast<int>(i), data, budget));
    const std::string_view name = view(v->name());
    if (!name.empty() && !names.insert(name).second)
      fail(value_label(static_cast<int>(i), name), ": the name is used twice; expected unique ",
           "value names");
  }

  const std::vector<const OpDef*> defs = check_ops(model, ops);
  for (uint32_t n = 0; n < defs.size(); ++n)
    check_attrs(model->nodes()->Get(n), static_cast<int>(n), *defs[n], data, budget);
  check_nodes(model, values, defs);
  check_outputs_and_updates(model, values, budget);
  check_metadata(model, budget);
  return version;
}

}  // namespace serialization
}  // namespace kiln
