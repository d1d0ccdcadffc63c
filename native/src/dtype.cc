#include "dtype.h"

#include "common.h"

namespace troupe {

DType ParseDType(const std::string& name) {
  if (name == "float32") return DType::kFloat32;
  if (name == "float16") return DType::kFloat16;
  if (name == "int32") return DType::kInt32;
  if (name == "int64") return DType::kInt64;
  if (name == "uint8") return DType::kUint8;
  throw NativeError("TROUPE_ERR_NATIVE_DTYPE",
                    "unknown dtype '" + name + "': use float32, float16, int32, int64 or uint8");
}

size_t DTypeSize(DType t) {
  switch (t) {
    case DType::kFloat32: return 4;
    case DType::kFloat16: return 2;
    case DType::kInt32: return 4;
    case DType::kInt64: return 8;
    case DType::kUint8: return 1;
  }
  return 1;
}

napi_typedarray_type DTypeArrayType(DType t) {
  switch (t) {
    case DType::kFloat32: return napi_float32_array;
    case DType::kFloat16: return napi_uint16_array;
    case DType::kInt32: return napi_int32_array;
    case DType::kInt64: return napi_bigint64_array;
    case DType::kUint8: return napi_uint8_array;
  }
  return napi_uint8_array;
}

const char* DTypeName(DType t) {
  switch (t) {
    case DType::kFloat32: return "float32";
    case DType::kFloat16: return "float16";
    case DType::kInt32: return "int32";
    case DType::kInt64: return "int64";
    case DType::kUint8: return "uint8";
  }
  return "?";
}

}  // namespace troupe
