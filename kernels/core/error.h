// Errors a user can act on. Each kind maps to one Python exception class.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace kiln {

enum class ErrorKind { kValue, kType, kIndex, kRuntime, kFormat };

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

namespace detail {
inline void append(std::ostringstream&) {}
template <typename T, typename... Rest>
void append(std::ostringstream& os, const T& first, const Rest&... rest) {
  os << first;
  append(os, rest...);
}
}  // namespace detail

// Concatenates the streamable parts into one message.
template <typename... Parts>
std::string str_cat(const Parts&... parts) {
  std::ostringstream os;
  detail::append(os, parts...);
  return os.str();
}

template <typename... Parts>
[[noreturn]] void throw_error(ErrorKind kind, const Parts&... parts) {
  throw Error(kind, str_cat(parts...));
}

#define KILN_CHECK(cond, kind, ...)                              \
  do {                                                           \
    if (!(cond)) ::kiln::throw_error(::kiln::ErrorKind::kind, __VA_ARGS__); \
  } while (0)

}  // namespace kiln
