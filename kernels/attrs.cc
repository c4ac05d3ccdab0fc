#include "kernels/attrs.h"

#include <algorithm>
#include <functional>
#include <sstream>

#include "kernels/core/error.h"

namespace kiln {

const char* attr_type_name(AttrType type) {
  switch (type) {
    case AttrType::kInt: return "int";
    case AttrType::kFloat: return "float";
    case AttrType::kBool: return "bool";
    case AttrType::kString: return "string";
    case AttrType::kInts: return "list of ints";
    case AttrType::kFloats: return "list of floats";
  }
  return "?";
}

Attrs::Attrs(std::initializer_list<std::pair<std::string, AttrValue>> entries) {
  for (const auto& [name, value] : entries) set(name, value);
}

Attrs& Attrs::set(const std::string& name, AttrValue value) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const auto& e, const std::string& n) { return e.first < n; });
  if (it != entries_.end() && it->first == name) {
    it->second = std::move(value);
  } else {
    entries_.insert(it, {name, std::move(value)});
  }
  return *this;
}

const AttrValue* Attrs::find(const std::string& name) const {
  for (const auto& e : entries_)
    if (e.first == name) return &e.second;
  return nullptr;
}

template <typename T>
const T& Attrs::get(const std::string& name, AttrType type) const {
  const AttrValue* v = find(name);
  KILN_CHECK(v != nullptr, kValue, "missing attribute '", name, "' (expected ",
             attr_type_name(type), ")");
  KILN_CHECK(attr_type(*v) == type, kType, "attribute '", name, "' is a ",
             attr_type_name(attr_type(*v)), "; expected ", attr_type_name(type));
  return std::get<T>(*v);
}

int64_t Attrs::get_int(const std::string& n) const { return get<int64_t>(n, AttrType::kInt); }
double Attrs::get_float(const std::string& n) const { return get<double>(n, AttrType::kFloat); }
bool Attrs::get_bool(const std::string& n) const { return get<bool>(n, AttrType::kBool); }
const std::string& Attrs::get_string(const std::string& n) const {
  return get<std::string>(n, AttrType::kString);
}
const std::vector<int64_t>& Attrs::get_ints(const std::string& n) const {
  return get<std::vector<int64_t>>(n, AttrType::kInts);
}
const std::vector<double>& Attrs::get_floats(const std::string& n) const {
  return get<std::vector<double>>(n, AttrType::kFloats);
}

size_t Attrs::hash() const {
  size_t h = entries_.size();
  auto mix = [&h](size_t v) { h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2); };
  for (const auto& [name, value] : entries_) {
    mix(std::hash<std::string>()(name));
    mix(value.index());
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::vector<int64_t>> ||
                        std::is_same_v<T, std::vector<double>>) {
            for (auto e : x) mix(std::hash<typename T::value_type>()(e));
          } else {
            mix(std::hash<T>()(x));
          }
        },
        value);
  }
  return h;
}

std::string attr_value_str(const AttrValue& value) {
  std::ostringstream os;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::vector<int64_t>> ||
                      std::is_same_v<T, std::vector<double>>) {
          os << "[";
          for (size_t i = 0; i < x.size(); ++i) os << (i ? ", " : "") << x[i];
          os << "]";
        } else if constexpr (std::is_same_v<T, bool>) {
          os << (x ? "true" : "false");
        } else if constexpr (std::is_same_v<T, std::string>) {
          os << '"' << x << '"';
        } else {
          os << x;
        }
      },
      value);
  return os.str();
}

std::string Attrs::str() const {
  std::string out;
  for (const auto& [name, value] : entries_) {
    if (!out.empty()) out += ", ";
    out += name + "=" + attr_value_str(value);
  }
  return out;
}

}  // namespace kiln
