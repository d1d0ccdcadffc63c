#include "common.h"

namespace troupe {

Napi::Error ToJsError(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Value().Set("code", Napi::String::New(env, code));
  return err;
}

Napi::Error ToJsError(Napi::Env env, const NativeError& e) {
  Napi::Error err = ToJsError(env, e.code().c_str(), e.what());
  Napi::Object details = Napi::Object::New(env);
  for (const auto& [key, value] : e.details()) details.Set(key, Napi::Number::New(env, value));
  err.Value().Set("details", details);
  return err;
}

}  // namespace troupe
