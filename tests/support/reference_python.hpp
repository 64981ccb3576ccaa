#pragma once
// Shared by the tests that check values against scikit-learn/numpy at test
// time: a scratch directory and Debian's interpreter, where python3-sklearn
// lives (not a pyenv one that may come first on PATH), unless CMake names another.
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace cp::testing {

#ifndef CP_TEST_PYTHON
#define CP_TEST_PYTHON "/usr/bin/python3"
#endif
/// The interpreter of the reference checks (tests/CMakeLists.txt: CP_PYTHON).
inline const char* const kPython = CP_TEST_PYTHON;

/// A fresh directory under the system temp dir, removed with the test.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& prefix) {
    std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "_XXXXXX")).string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + tmpl);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace cp::testing
