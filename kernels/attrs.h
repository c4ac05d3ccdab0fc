// Typed op attributes that hash, compare, print and serialize generically.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace kiln {

enum class AttrType { kInt, kFloat, kBool, kString, kInts, kFloats };
const char* attr_type_name(AttrType type);

using AttrValue =
    std::variant<int64_t, double, bool, std::string, std::vector<int64_t>, std::vector<double>>;
inline AttrType attr_type(const AttrValue& v) { return static_cast<AttrType>(v.index()); }

// A sorted list of (name, value); small, so lookups are linear scans.
class Attrs {
 public:
  Attrs() = default;
  Attrs(std::initializer_list<std::pair<std::string, AttrValue>> entries);

  Attrs& set(const std::string& name, AttrValue value);
  const AttrValue* find(const std::string& name) const;
  bool has(const std::string& name) const { return find(name) != nullptr; }

  // Typed getters throw ValueError naming the attribute when absent or mistyped.
  int64_t get_int(const std::string& name) const;
  double get_float(const std::string& name) const;
  bool get_bool(const std::string& name) const;
  const std::string& get_string(const std::string& name) const;
  const std::vector<int64_t>& get_ints(const std::string& name) const;
  const std::vector<double>& get_floats(const std::string& name) const;

  const std::vector<std::pair<std::string, AttrValue>>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  size_t hash() const;
  bool operator==(const Attrs& o) const { return entries_ == o.entries_; }
  bool operator!=(const Attrs& o) const { return !(*this == o); }
  std::string str() const;  // "stride=[1, 1], groups=1"

 private:
  template <typename T> const T& get(const std::string& name, AttrType type) const;
  std::vector<std::pair<std::string, AttrValue>> entries_;
};

std::string attr_value_str(const AttrValue& value);

}  // namespace kiln
