// The one C++ exception type of the addon; it carries a troupe error code and
// numeric details. Free of Node-API so the CUDA sources can throw it too.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <utility>

namespace troupe {

// Thrown inside the addon; never crosses into JS (common.h's Guard converts it).
class NativeError : public std::runtime_error {
 public:
  NativeError(std::string code, const std::string& message, std::map<std::string, double> details = {})
      : std::runtime_error(message), code_(std::move(code)), details_(std::move(details)) {}
  const std::string& code() const { return code_; }
  const std::map<std::string, double>& details() const { return details_; }

 private:
  std::string code_;
  std::map<std::string, double> details_;
};

}  // namespace troupe
