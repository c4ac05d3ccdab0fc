// kiln-run: runs a kiln model file with no Python (API.md, "Command line").
//
//   kiln-run MODEL [--input NAME=FILE.npy | NAME=rand[:SHAPE]]... [--output-dir DIR]
//            [--iter N] [--warmup N] [--threads N] [--info] [--profile]
//
// Exit status: 0 on success, 2 for bad arguments, 1 for a bad model file or
// bad inputs; every failure is one line on stderr.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "graph/runtime.h"
#include "kernels/core/error.h"
#include "tools/npy.h"

namespace kiln {
namespace {

struct Options {
  std::string model;
  std::vector<std::pair<std::string, std::string>> inputs;  // name, source
  std::string output_dir;
  int iterations = 1, warmup = 0, threads = 0;
  bool info = false;
  bool profile = false;  // time per op over the timed runs
};

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

constexpr char kUsage[] =
    "usage: kiln-run MODEL [--input NAME=FILE.npy | NAME=rand[:SHAPE]]... [--output-dir DIR]\n"
    "                [--iter N] [--warmup N] [--threads N] [--info] [--profile]";

int parse_count(const std::string& flag, const std::string& value, int min) {
  try {
    size_t used = 0;
    const int n = std::stoi(value, &used);
    if (used == value.size() && n >= min) return n;
  } catch (const std::exception&) {
  }
  throw UsageError(str_cat(flag, " expects an integer >= ", min, "; got '", value, "'"));
}

Options parse(int argc, char** argv) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw UsageError(a + " expects a value");
      return args[++i];
    };
    if (a == "--input") {
      const std::string spec = value();
      const size_t eq = spec.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
        throw UsageError("--input expects NAME=FILE.npy or NAME=rand[:SHAPE]; got '" + spec + "'");
      o.inputs.emplace_back(spec.substr(0, eq), spec.substr(eq + 1));
    } else if (a == "--output-dir") {
      o.output_dir = value();
    } else if (a == "--iter") {
      o.iterations = parse_count(a, value(), 1);
    } else if (a == "--warmup") {
      o.warmup = parse_count(a, value(), 0);
    } else if (a == "--threads") {
      o.threads = parse_count(a, value(), 1);
    } else if (a == "--info") {
      o.info = true;
    } else if (a == "--profile") {
      o.profile = true;
    } else if (a == "-h" || a == "--help") {
      std::cout << kUsage << "\n";
      std::exit(0);
    } else if (!a.empty() && a[0] == '-') {
      throw UsageError("unknown option '" + a + "'");
    } else if (o.model.empty()) {
      o.model = a;
    } else {
      throw UsageError("more than one model given ('" + o.model + "' and '" + a + "')");
    }
  }
  if (o.model.empty()) throw UsageError("no model file given");
  return o;
}

// NAME=rand[:SHAPE]: uniform [0, 1) values (seeded), shape from SHAPE
// ("1x3x224x224" or "1,3,224,224") or the model's, dynamic dims as 1.
Tensor random_input(const TensorSpec& spec, const std::string& source) {
  std::vector<int64_t> dims = spec.shape;
  if (source.size() > 5) {
    dims.clear();
    std::string text = source.substr(5);
    std::replace(text.begin(), text.end(), 'x', ',');
    std::stringstream ss(text);
    for (std::string d; std::getline(ss, d, ',');) {
      try {
        size_t used = 0;
        const long long v = std::stoll(d, &used);
        if (used != d.size() || v < 0) throw std::invalid_argument(d);
        dims.push_back(v);
      } catch (const std::exception&) {
        throw_error(ErrorKind::kValue, "input '", spec.name, "': bad shape '", source.substr(5),
                    "'; expected dims like 1x3x224x224");
      }
    }
  }
  for (int64_t& d : dims) d = d < 0 ? 1 : d;
  Tensor t = Tensor::empty(Shape(dims), spec.dtype);
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  dispatch_dtype(spec.dtype, [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < t.numel(); ++i) {
      if constexpr (std::is_same_v<T, Half>) {
        t.data<T>()[i] = Half(uniform(rng));
      } else if constexpr (std::is_floating_point_v<T>) {
        t.data<T>()[i] = uniform(rng);
      } else {
        t.data<T>()[i] = static_cast<T>(uniform(rng) * 2);
      }
    }
  });
  return t;
}

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + (shape[i] < 0 ? std::string("?") : std::to_string(shape[i]));
  return s + (shape.size() == 1 ? ",)" : ")");
}

void print_signature(const Model& model) {
  for (const TensorSpec& s : model.inputs())
    std::cout << "input  " << s.name << ": " << dtype_name(s.dtype) << shape_str(s.shape) << "\n";
  for (const TensorSpec& s : model.outputs())
    std::cout << "output " << s.name << ": " << dtype_name(s.dtype) << shape_str(s.shape) << "\n";
}

void print_info(const Model& model) {
  print_signature(model);
  const graph::Graph& g = model.graph();
  std::map<std::string, int> ops;
  for (const graph::Node& n : g.nodes()) ++ops[n.op.name()];
  std::cout << "ops (" << g.nodes().size() << "):";
  for (const auto& [name, count] : ops) std::cout << " " << name << "x" << count;
  int64_t parameters = 0;
  for (const auto& [id, tensor] : g.tensors()) parameters += tensor.numel();
  std::cout << "\nparameters: " << parameters << "\n";
  for (const auto& [key, value] : model.metadata())
    std::cout << "metadata " << key << ": " << value << "\n";
}

int run(const Options& o) {
  if (o.threads > 0) omp_set_num_threads(o.threads);
  const Model model = Model::load(o.model);
  if (o.info) {
    print_info(model);
    return 0;
  }
  SessionOptions session_options;
  session_options.profile = o.profile;
  Session session(model, session_options);
  std::vector<Tensor> keep;
  for (const auto& [name, source] : o.inputs) {
    auto spec = std::find_if(model.inputs().begin(), model.inputs().end(),
                             [&](const TensorSpec& s) { return s.name == name; });
    if (spec == model.inputs().end()) {
      std::string names;
      for (const TensorSpec& s : model.inputs()) names += (names.empty() ? "" : ", ") + s.name;
      throw_error(ErrorKind::kValue, "unknown input '", name, "'; the model's inputs are ", names);
    }
    keep.push_back(source.rfind("rand", 0) == 0 && (source.size() == 4 || source[4] == ':')
                       ? random_input(*spec, source)
                       : npy::read(source));
    session.set_input(name, keep.back());
  }
  print_signature(model);
  for (int i = 0; i < o.warmup; ++i) session.run();
  session.clear_profile();
  std::vector<double> ms;
  for (int i = 0; i < o.iterations; ++i) {
    const auto start = std::chrono::steady_clock::now();
    session.run();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("latency over %d runs: min %.3f ms, median %.3f ms, max %.3f ms\n", o.iterations,
              ms.front(), ms[ms.size() / 2], ms.back());
  std::printf("peak arena memory: %zu bytes\n", session.peak_arena_bytes());
  if (o.profile) std::cout << session.profile_str();
  if (!o.output_dir.empty()) {
    for (const TensorSpec& s : model.outputs()) {
      const std::string path = o.output_dir + "/" + s.name + ".npy";
      npy::write(path, session.output(s.name));
      std::cout << "wrote " << path << "\n";
    }
  }
  return 0;
}

// One line: newlines inside messages (a verifier's context) become " | ".
std::string one_line(std::string message) {
  while (!message.empty() && message.back() == '\n') message.pop_back();
  std::replace(message.begin(), message.end(), '\n', ' ');
  return message;
}

}  // namespace
}  // namespace kiln

int main(int argc, char** argv) {
  try {
    return kiln::run(kiln::parse(argc, argv));
  } catch (const kiln::UsageError& e) {
    std::cerr << "kiln-run: " << e.what() << "\n" << kiln::kUsage << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "kiln-run: error: " << kiln::one_line(e.what()) << "\n";
    return 1;
  }
}
