// Shared helpers of the addon: the one C++ exception type that carries a troupe
// error code, the guard that turns it into a JS error at the boundary, and the
// argument-check macros every exported function uses.
#pragma once

#include <napi.h>

#include "native_error.h"

#include <cstdint>
#include <string>

namespace troupe {

// Builds the JS error value for a NativeError: message, `code`, and a `details` object.
Napi::Error ToJsError(Napi::Env env, const NativeError& err);
Napi::Error ToJsError(Napi::Env env, const char* code, const std::string& message);

// Runs fn, converting every C++ exception into a pending JS exception.
template <typename Fn>
Napi::Value Guard(Napi::Env env, Fn&& fn) {
  try {
    return fn();
  } catch (const NativeError& e) {
    ToJsError(env, e).ThrowAsJavaScriptException();
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
  } catch (const std::bad_alloc&) {
    ToJsError(env, "TROUPE_ERR_NATIVE_OUT_OF_MEMORY", "the native addon could not allocate host memory")
        .ThrowAsJavaScriptException();
  } catch (const std::exception& e) {
    ToJsError(env, "TROUPE_ERR_NATIVE_INTERNAL", std::string("native addon failure: ") + e.what())
        .ThrowAsJavaScriptException();
  } catch (...) {
    ToJsError(env, "TROUPE_ERR_NATIVE_INTERNAL", "native addon failure of unknown kind")
        .ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

}  // namespace troupe

#define TROUPE_THROW(code, msg) throw ::troupe::NativeError((code), (msg))
#define TROUPE_THROW_ARG(msg) throw ::troupe::NativeError("TROUPE_ERR_NATIVE_ARGUMENT", (msg))

#define TROUPE_CHECK_ARGC(info, n, fname)                                                \
  do {                                                                                   \
    if ((info).Length() < (n))                                                           \
      TROUPE_THROW_ARG(std::string(fname) + " expects " + std::to_string(n) + " arguments"); \
  } while (0)

#define TROUPE_CHECK_NUMBER(value, what)                                 \
  do {                                                                   \
    if (!(value).IsNumber()) TROUPE_THROW_ARG(std::string(what) + " must be a number"); \
  } while (0)

#define TROUPE_CHECK_OBJECT(value, what)                                 \
  do {                                                                   \
    if (!(value).IsObject()) TROUPE_THROW_ARG(std::string(what) + " must be an object"); \
  } while (0)

#define TROUPE_CHECK_ARRAY(value, what)                                  \
  do {                                                                   \
    if (!(value).IsArray()) TROUPE_THROW_ARG(std::string(what) + " must be an array"); \
  } while (0)

#define TROUPE_CHECK_TYPED_ARRAY(value, what)                                     \
  do {                                                                            \
    if (!(value).IsTypedArray()) TROUPE_THROW_ARG(std::string(what) + " must be a typed array"); \
  } while (0)

#define TROUPE_CHECK_FUNCTION(value, what)                                 \
  do {                                                                     \
    if (!(value).IsFunction()) TROUPE_THROW_ARG(std::string(what) + " must be a function"); \
  } while (0)

// Reads a non-negative integer that fits in size_t (doubles up to 2^53).
inline size_t ToSize(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) TROUPE_THROW_ARG(std::string(what) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 9007199254740991.0 || d != static_cast<double>(static_cast<uint64_t>(d)))
    TROUPE_THROW_ARG(std::string(what) + " must be a non-negative integer");
  return static_cast<size_t>(d);
}

inline int ToInt(const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) TROUPE_THROW_ARG(std::string(what) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int>(d))) TROUPE_THROW_ARG(std::string(what) + " must be an integer");
  return static_cast<int>(d);
}
