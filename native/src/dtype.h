// Element types a tensor may have at the native layer. float16 travels as raw
// 16-bit patterns (Uint16Array in JS); the addon never does arithmetic on it.
#pragma once

#include <napi.h>

#include <cstddef>
#include <string>

namespace troupe {

enum class DType { kFloat32, kFloat16, kInt32, kInt64, kUint8 };

// Parses 'float32' | 'float16' | 'int32' | 'int64' | 'uint8'; throws NativeError otherwise.
DType ParseDType(const std::string& name);
size_t DTypeSize(DType t);
// The typed array class a dtype's data must come in.
napi_typedarray_type DTypeArrayType(DType t);
const char* DTypeName(DType t);

}  // namespace troupe
