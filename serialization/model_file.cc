#include "serialization/model_file.h"

#include <fcntl.h>
#include <flatbuffers/flatbuffers.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <new>
#include <set>
#include <variant>

#include "kernels/core/error.h"
#include "kernels/op_call.h"
#include "serialization/kiln_generated.h"
#include "serialization/validate.h"

static_assert(FLATBUFFERS_MAX_ALIGNMENT >= kiln::serialization::kDataAlignment,
              "build with -DFLATBUFFERS_MAX_ALIGNMENT=64 (see serialization/BUILD)");

namespace kiln {
namespace serialization {

// ---- ModelBytes ---------------------------------------------------------------

ModelBytes::ModelBytes(size_t size)
    : data_(static_cast<uint8_t*>(
          ::operator new(std::max<size_t>(size, 1), std::align_val_t(kDataAlignment)))),
      size_(size) {}

ModelBytes::~ModelBytes() { ::operator delete(data_, std::align_val_t(kDataAlignment)); }

std::shared_ptr<const ModelBytes> ModelBytes::copy(const void* data, size_t size) {
  std::shared_ptr<ModelBytes> bytes(new ModelBytes(size));
  if (size) std::memcpy(bytes->data_, data, size);
  return bytes;
}

std::shared_ptr<const ModelBytes> ModelBytes::read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  KILN_CHECK(fd >= 0, kRuntime, "cannot open model file '", path, "': ", std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st;
  KILN_CHECK(::fstat(fd, &st) == 0, kRuntime, "cannot stat model file '", path,
             "': ", std::strerror(errno));
  KILN_CHECK(S_ISREG(st.st_mode), kRuntime, "cannot read model file '", path,
             "': not a regular file");
  const auto size = static_cast<size_t>(st.st_size);
  KILN_CHECK(size < FLATBUFFERS_MAX_BUFFER_SIZE, kFormat, "invalid model file '", path, "': it is ",
             size, " bytes; expected less than ", FLATBUFFERS_MAX_BUFFER_SIZE);
  std::shared_ptr<ModelBytes> bytes(new ModelBytes(size));
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, bytes->data_ + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    KILN_CHECK(n >= 0, kRuntime, "cannot read model file '", path, "': ", std::strerror(errno));
    KILN_CHECK(n > 0, kRuntime, "cannot read model file '", path, "': it shrank while reading");
    done += static_cast<size_t>(n);
  }
  return bytes;
}

// ---- Writing ------------------------------------------------------------------

namespace {

using graph::Graph;
using graph::ValueId;
using graph::ValueKind;
using FlatOffset = flatbuffers::Offset<void>;

// Whether the graph's ids are already in canonical order (kiln.fbs): walking
// the ids upwards, each intermediate starts the outputs of the next node, and
// nodes without outputs read only ids below the next node's outputs.
bool is_canonical(const Graph& g) {
  const auto& nodes = g.nodes();
  size_t n = 0;
  const auto reads_below = [&](const graph::Node& node, ValueId limit) {
    for (ValueId in : node.inputs)
      if (in >= limit) return false;
    return true;
  };
  const auto skip_outputless = [&](ValueId limit) {
    for (; n < nodes.size() && nodes[n].outputs.empty(); ++n)
      if (!reads_below(nodes[n], limit)) return false;
    return true;
  };
  for (ValueId id = 0; id < g.num_values(); ++id) {
    if (g.value(id).kind != ValueKind::kIntermediate) continue;
    if (!skip_outputless(id) || n == nodes.size()) return false;
    const graph::Node& node = nodes[n++];
    for (size_t j = 0; j < node.outputs.size(); ++j)
      if (node.outputs[j] != id + static_cast<ValueId>(j)) return false;
    if (!reads_below(node, id)) return false;
    id += static_cast<ValueId>(node.outputs.size()) - 1;
  }
  return skip_outputless(g.num_values()) && n == nodes.size();
}

// Old ids in file order: the graph's own order when canonical; otherwise its
// inputs, constants and states by id, then each node's outputs.
std::vector<ValueId> file_order(const Graph& g) {
  std::vector<ValueId> order;
  if (is_canonical(g)) {
    for (ValueId id = 0; id < g.num_values(); ++id) order.push_back(id);
    return order;
  }
  for (ValueId id = 0; id < g.num_values(); ++id)
    if (g.value(id).kind != ValueKind::kIntermediate) order.push_back(id);
  for (const graph::Node& node : g.nodes())
    for (ValueId out : node.outputs) order.push_back(out);
  return order;
}

void check_writable(const Graph& g, const std::map<std::string, std::string>& metadata) {
  graph::verify(g);
  for (ValueId id = 0; id < g.num_values(); ++id) {
    const graph::Value& v = g.value(id);
    KILN_CHECK(!(v.name.empty() && (v.kind == ValueKind::kInput || v.kind == ValueKind::kState)),
               kValue, "write_model: graph ", graph::value_kind_name(v.kind), " %", id,
               " has no name; expected every input and state to be named");
  }
  std::set<std::string> names;
  for (const auto& o : g.outputs()) {
    KILN_CHECK(!o.name.empty(), kValue, "write_model: a graph output (value %", o.value,
               ") has no name; expected every output to be named");
    KILN_CHECK(names.insert(o.name).second, kValue, "write_model: graph output name '", o.name,
               "' is used twice; expected unique output names");
  }
  // The FlatBuffers limit, with room for everything but the tensors.
  size_t total = 1 << 20;
  for (const auto& [id, t] : g.tensors()) total += t.nbytes() + kDataAlignment;
  for (const auto& [key, value] : metadata) total += key.size() + value.size() + 16;
  for (ValueId id = 0; id < g.num_values(); ++id) total += g.value(id).name.size() + 128;
  total += g.nodes().size() * 256;
  KILN_CHECK(total < FLATBUFFERS_MAX_BUFFER_SIZE, kValue, "write_model: the model takes about ",
             total, " bytes; a kiln model file holds less than ", FLATBUFFERS_MAX_BUFFER_SIZE);
}

flatbuffers::Offset<fb::Attr> write_attr(flatbuffers::FlatBufferBuilder& fbb,
                                         const std::string& name, const AttrValue& value) {
  const auto name_offset = fbb.CreateString(name);
  fb::AttrValue type = fb::AttrValue::NONE;
  FlatOffset offset;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          type = fb::AttrValue::IntAttr;
          offset = fb::CreateIntAttr(fbb, x).Union();
        } else if constexpr (std::is_same_v<T, double>) {
          type = fb::AttrValue::FloatAttr;
          offset = fb::CreateFloatAttr(fbb, x).Union();
        } else if constexpr (std::is_same_v<T, bool>) {
          type = fb::AttrValue::BoolAttr;
          offset = fb::CreateBoolAttr(fbb, x).Union();
        } else if constexpr (std::is_same_v<T, std::string>) {
          type = fb::AttrValue::StringAttr;
          offset = fb::CreateStringAttr(fbb, fbb.CreateString(x)).Union();
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          type = fb::AttrValue::IntsAttr;
          offset = fb::CreateIntsAttr(fbb, fbb.CreateVector(x)).Union();
        } else {
          static_assert(std::is_same_v<T, std::vector<double>>);
          type = fb::AttrValue::FloatsAttr;
          offset = fb::CreateFloatsAttr(fbb, fbb.CreateVector(x)).Union();
        }
      },
      value);
  return fb::CreateAttr(fbb, name_offset, type, offset);
}

}  // namespace

std::string write_model(const Graph& g, const std::map<std::string, std::string>& metadata,
                        const std::string& producer) {
  check_writable(g, metadata);
  const std::vector<ValueId> order = file_order(g);
  std::vector<int> new_id(g.num_values(), -1);
  for (size_t i = 0; i < order.size(); ++i) new_id[order[i]] = static_cast<int>(i);

  flatbuffers::FlatBufferBuilder fbb(1 << 16);
  // Tensor bytes first: built back to front, they end up at the file's end,
  // each padded to start at a multiple of kDataAlignment.
  std::vector<flatbuffers::Offset<flatbuffers::Vector<uint8_t>>> data(order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    const graph::Value& v = g.value(order[i]);
    if (v.kind != ValueKind::kConstant && v.kind != ValueKind::kState) continue;
    const Tensor t = g.tensor(order[i]).contiguous();
    fbb.ForceVectorAlignment(t.nbytes(), 1, kDataAlignment);
    data[i] = fbb.CreateVector(static_cast<const uint8_t*>(t.raw_data()), t.nbytes());
  }
  std::vector<flatbuffers::Offset<fb::Value>> values;
  for (size_t i = 0; i < order.size(); ++i) {
    const graph::Value& v = g.value(order[i]);
    const auto name = fbb.CreateString(v.name);
    const auto shape = fbb.CreateVector(v.meta.shape.vec());
    values.push_back(fb::CreateValue(fbb, name, static_cast<fb::ValueKind>(v.kind),
                                     static_cast<fb::DType>(v.meta.dtype), shape, v.dynamic_dims,
                                     data[i]));
  }
  std::vector<flatbuffers::Offset<fb::Node>> nodes;
  for (const graph::Node& node : g.nodes()) {
    std::vector<int> inputs, outputs;
    for (ValueId in : node.inputs) inputs.push_back(new_id[in]);
    for (ValueId out : node.outputs) outputs.push_back(new_id[out]);
    std::vector<flatbuffers::Offset<fb::Attr>> attrs;
    for (const auto& [name, value] : node.op.attrs.entries())
      attrs.push_back(write_attr(fbb, name, value));
    nodes.push_back(fb::CreateNode(
        fbb, fbb.CreateString(node.op.name()), static_cast<uint32_t>(node.op.def->version),
        fbb.CreateVector(inputs), fbb.CreateVector(outputs), fbb.CreateVector(attrs)));
  }
  std::vector<flatbuffers::Offset<fb::NamedValue>> outputs;
  for (const auto& o : g.outputs())
    outputs.push_back(fb::CreateNamedValue(fbb, fbb.CreateString(o.name), new_id[o.value]));
  std::vector<flatbuffers::Offset<fb::StateUpdate>> updates;
  for (ValueId s : g.states()) {  // in state order, for deterministic bytes
    const auto it = g.state_updates().find(s);
    if (it != g.state_updates().end())
      updates.push_back(fb::CreateStateUpdate(fbb, new_id[s], new_id[it->second]));
  }
  std::vector<flatbuffers::Offset<fb::KeyValue>> meta;
  for (const auto& [key, value] : metadata)
    meta.push_back(fb::CreateKeyValue(fbb, fbb.CreateString(key), fbb.CreateString(value)));

  const auto model =
      fb::CreateModel(fbb, kFormatVersion, fbb.CreateString(producer), fbb.CreateVector(values),
                      fbb.CreateVector(nodes), fbb.CreateVector(outputs), fbb.CreateVector(updates),
                      fbb.CreateVector(meta));
  fb::FinishModelBuffer(fbb, model);
  return std::string(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
}

void write_model_file(const std::string& path, const Graph& graph,
                      const std::map<std::string, std::string>& metadata,
                      const std::string& producer) {
  const std::string bytes = write_model(graph, metadata, producer);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  KILN_CHECK(out.is_open(), kRuntime, "cannot write model file '", path,
             "': ", std::strerror(errno));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  KILN_CHECK(!out.fail(), kRuntime, "cannot write model file '", path, "': ", std::strerror(errno));
}

// ---- Reading ------------------------------------------------------------------

namespace {

std::string str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

TensorMeta read_meta(const fb::Value* v) {
  TensorMeta meta{static_cast<DType>(v->dtype()), Shape()};
  if (v->shape())
    for (int64_t d : *v->shape()) meta.shape.push_back(d);
  return meta;
}

Attrs read_attrs(const fb::Node* node) {
  Attrs attrs;
  if (!node->attrs()) return attrs;
  for (const fb::Attr* a : *node->attrs()) {
    AttrValue value;
    switch (a->value_type()) {
      case fb::AttrValue::IntAttr:
        value = a->value_as_IntAttr()->value();
        break;
      case fb::AttrValue::FloatAttr:
        value = a->value_as_FloatAttr()->value();
        break;
      case fb::AttrValue::BoolAttr:
        value = a->value_as_BoolAttr()->value();
        break;
      case fb::AttrValue::StringAttr:
        value = str(a->value_as_StringAttr()->value());
        break;
      case fb::AttrValue::IntsAttr: {
        const auto* v = a->value_as_IntsAttr()->value();
        value = v ? std::vector<int64_t>(v->begin(), v->end()) : std::vector<int64_t>();
        break;
      }
      case fb::AttrValue::FloatsAttr: {
        const auto* v = a->value_as_FloatsAttr()->value();
        value = v ? std::vector<double>(v->begin(), v->end()) : std::vector<double>();
        break;
      }
      default:  // validate_model rejects it
        throw_error(ErrorKind::kFormat, "invalid model file: attribute without a value");
    }
    attrs.set(str(a->name()), std::move(value));
  }
  return attrs;
}

// Rebuilds the graph from a validated file through the Graph API, in the
// canonical order, so that ids match the file's.
class GraphReader {
 public:
  GraphReader(const fb::Model* model, const OpTable& ops, std::shared_ptr<void> owner, Graph& g)
      : model_(model), ops_(ops), owner_(std::move(owner)), g_(g) {}

  void read() {
    const uint32_t num_values = model_->values() ? model_->values()->size() : 0;
    num_nodes_ = model_->nodes() ? model_->nodes()->size() : 0;
    for (uint32_t id = 0; id < num_values; ++id) {
      const fb::Value* v = model_->values()->Get(id);
      if (v->kind() == fb::ValueKind::Intermediate) {
        add_outputless_nodes();
        add_node(next_node_++);
        id = static_cast<uint32_t>(g_.num_values()) - 1;
      } else {
        add_role_value(v, static_cast<ValueId>(id));
      }
    }
    add_outputless_nodes();
    if (model_->outputs())
      for (const fb::NamedValue* o : *model_->outputs()) g_.add_output(str(o->name()), o->value());
    if (model_->state_updates())
      for (const fb::StateUpdate* u : *model_->state_updates())
        g_.set_state_update(u->state(), u->value());
  }

 private:
  void add_outputless_nodes() {
    while (next_node_ < num_nodes_ && !has_outputs(next_node_)) add_node(next_node_++);
  }
  bool has_outputs(uint32_t n) const {
    const auto* outs = model_->nodes()->Get(n)->outputs();
    return outs && outs->size() > 0;
  }

  void add_role_value(const fb::Value* v, ValueId id) {
    const std::string name = str(v->name());
    const TensorMeta meta = read_meta(v);
    ValueId got = -1;
    switch (v->kind()) {
      case fb::ValueKind::Input:
        got = g_.add_input(name, meta, v->dynamic_dims());
        break;
      case fb::ValueKind::Constant: {
        // In place: the tensor borrows the file's bytes and keeps them alive.
        void* data = const_cast<uint8_t*>(v->data()->data());
        Tensor t(Storage::borrow(data, v->data()->size(), owner_), meta.dtype, meta.shape,
                 contiguous_strides(meta.shape), 0);
        got = g_.add_constant(name, std::move(t));
        break;
      }
      case fb::ValueKind::State: {
        // Copied: a run writes states back.
        Tensor t = Tensor::empty(meta);
        if (t.nbytes()) std::memcpy(t.raw_data(), v->data()->data(), t.nbytes());
        got = g_.add_state(name, std::move(t));
        break;
      }
      default:
        break;
    }
    KILN_CHECK(got == id, kFormat, "invalid model file: value %", id, " was read as %", got);
    g_.mutable_value(got).dynamic_dims = v->dynamic_dims();
  }

  void add_node(uint32_t n) {
    const fb::Node* node = model_->nodes()->Get(n);
    const OpDef& def = *ops_.find(node->op()->str());  // validate_model found it
    const std::string label = str_cat("node ", n, " (", def.name, ")");
    std::vector<ValueId> inputs;
    if (node->inputs()) inputs.assign(node->inputs()->begin(), node->inputs()->end());
    std::vector<ValueId> outputs;
    try {
      outputs = g_.add_node(OpCall(def, read_attrs(node)), inputs);
    } catch (const Error& e) {
      throw_error(ErrorKind::kFormat, "invalid model file: ", label, ": ", e.what());
    }
    const uint32_t file_outputs = node->outputs() ? node->outputs()->size() : 0;
    KILN_CHECK(outputs.size() == file_outputs, kFormat, "invalid model file: ", label, " has ",
               file_outputs, " outputs in the file; expected ", outputs.size(), " for its inputs");
    for (uint32_t j = 0; j < file_outputs; ++j) {
      const ValueId id = node->outputs()->Get(j);
      KILN_CHECK(outputs[j] == id, kFormat, "invalid model file: ", label, " output ", j,
                 " was read as %", outputs[j], "; the file says %", id);
      const fb::Value* v = model_->values()->Get(static_cast<uint32_t>(id));
      const TensorMeta file_meta = read_meta(v);
      graph::Value& value = g_.mutable_value(id);
      KILN_CHECK(value.meta == file_meta, kFormat, "invalid model file: ", label, " output ", j,
                 " (value %", id, ") is ", file_meta.str(), " in the file, but ", def.name,
                 " infers ", value.meta.str(), " from its inputs; expected them equal");
      value.name = str(v->name());
      value.dynamic_dims = v->dynamic_dims();
    }
  }

  const fb::Model* model_;
  const OpTable& ops_;
  std::shared_ptr<void> owner_;
  Graph& g_;
  uint32_t num_nodes_ = 0, next_node_ = 0;
};

}  // namespace

LoadedModel read_model(std::shared_ptr<const ModelBytes> bytes, const OpTable& ops) {
  KILN_CHECK(bytes != nullptr, kValue, "read_model: no bytes given");
  const uint32_t version = validate_model(bytes->data(), bytes->size(), ops);
  const fb::Model* model = fb::GetModel(bytes->data());
  LoadedModel out;
  out.format_version = version;
  out.producer = str(model->producer());
  std::shared_ptr<void> owner = std::const_pointer_cast<ModelBytes>(bytes);
  try {
    GraphReader(model, ops, owner, out.graph).read();
    graph::verify(out.graph);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kFormat) throw;
    throw_error(ErrorKind::kFormat, "invalid model file: ", e.what());
  } catch (const std::exception& e) {
    // Not expected after validation; still the file's fault, never a crash.
    throw_error(ErrorKind::kFormat, "invalid model file: reading failed: ", e.what());
  }
  if (model->metadata())
    for (const fb::KeyValue* kv : *model->metadata())
      out.metadata.emplace(kv->key()->str(), kv->value()->str());
  return out;
}

LoadedModel read_model(std::shared_ptr<const ModelBytes> bytes) {
  return read_model(std::move(bytes), op_table());
}

LoadedModel read_model(const std::string& bytes) { return read_model(ModelBytes::copy(bytes)); }

LoadedModel read_model_file(const std::string& path) {
  return read_model(ModelBytes::read_file(path));
}

}  // namespace serialization
}  // namespace kiln
