#include "tensor_args.h"

#include "common.h"

namespace troupe {

namespace {
[[noreturn]] void Detached(const char* what) {
  throw NativeError("TROUPE_ERR_DETACHED_BUFFER",
                    std::string(what) + " is backed by a detached ArrayBuffer (it was transferred or freed): pass "
                                        "data that is still owned by this thread");
}
}  // namespace

ByteRange ReadBytes(Napi::Env env, Napi::Value value, const char* what) {
  napi_env e = env;
  bool flag = false;
  if (napi_is_typedarray(e, value, &flag) == napi_ok && flag) {
    napi_typedarray_type type;
    size_t length = 0, offset = 0;
    void* data = nullptr;
    napi_value ab;
    if (napi_get_typedarray_info(e, value, &type, &length, &data, &ab, &offset) != napi_ok)
      TROUPE_THROW_ARG(std::string("cannot read ") + what);
    bool detached = false;
    napi_is_detached_arraybuffer(e, ab, &detached);
    if (detached) Detached(what);
    const size_t es = value.As<Napi::TypedArray>().ElementSize();
    return ByteRange{static_cast<uint8_t*>(data), length * es};
  }
  if (napi_is_dataview(e, value, &flag) == napi_ok && flag) {
    size_t length = 0, offset = 0;
    void* data = nullptr;
    napi_value ab;
    napi_get_dataview_info(e, value, &length, &data, &ab, &offset);
    bool detached = false;
    napi_is_detached_arraybuffer(e, ab, &detached);
    if (detached) Detached(what);
    return ByteRange{static_cast<uint8_t*>(data), length};
  }
  if (napi_is_arraybuffer(e, value, &flag) == napi_ok && flag) {
    bool detached = false;
    napi_is_detached_arraybuffer(e, value, &detached);
    if (detached) Detached(what);
    void* data = nullptr;
    size_t length = 0;
    napi_get_arraybuffer_info(e, value, &data, &length);
    return ByteRange{static_cast<uint8_t*>(data), length};
  }
  TROUPE_THROW_ARG(std::string(what) + " must be a typed array, DataView or ArrayBuffer");
}

std::vector<int64_t> ReadShape(Napi::Value value, const char* what) {
  TROUPE_CHECK_ARRAY(value, what);
  Napi::Array arr = value.As<Napi::Array>();
  if (arr.Length() > kMaxRank)
    TROUPE_THROW_ARG(std::string(what) + " has rank " + std::to_string(arr.Length()) + "; at most " +
                     std::to_string(kMaxRank) + " is supported");
  std::vector<int64_t> shape;
  for (uint32_t i = 0; i < arr.Length(); ++i) shape.push_back(static_cast<int64_t>(ToSize(arr.Get(i), what)));
  return shape;
}

GatherPlan ReadGatherPlan(Napi::Env env, Napi::Array tensors, Napi::Value target, Napi::Value rows,
                          Napi::Value pad_bits, DType* dtype, std::vector<Napi::Reference<Napi::Value>>* keep) {
  GatherPlan plan;
  if (tensors.Length() == 0)
    throw NativeError("TROUPE_ERR_EMPTY_BATCH", "gather needs at least one tensor");
  plan.target = ReadShape(target, "target shape");
  plan.rows = ToSize(rows, "rows");
  if (plan.rows < tensors.Length()) TROUPE_THROW_ARG("rows must be at least the number of tensors");
  if (!pad_bits.IsBigInt()) TROUPE_THROW_ARG("pad bits must be a bigint");
  bool lossless = false;
  plan.pad_bits = pad_bits.As<Napi::BigInt>().Uint64Value(&lossless);
  for (uint32_t i = 0; i < tensors.Length(); ++i) {
    Napi::Value item = tensors.Get(i);
    TROUPE_CHECK_OBJECT(item, "tensor");
    Napi::Object t = item.As<Napi::Object>();
    Napi::Value dt = t.Get("dtype");
    if (!dt.IsString()) TROUPE_THROW_ARG("tensor " + std::to_string(i) + " has no dtype string");
    const DType d = ParseDType(dt.As<Napi::String>().Utf8Value());
    if (i == 0) *dtype = d;
    if (d != *dtype)
      throw NativeError("TROUPE_ERR_DTYPE_MISMATCH", "tensor " + std::to_string(i) + " is " + DTypeName(d) +
                                                         " but tensor 0 is " + DTypeName(*dtype) +
                                                         ": one gather takes one dtype");
    HostTensor ht;
    ht.shape = ReadShape(t.Get("shape"), "tensor shape");
    if (ht.shape.size() != plan.target.size())
      throw NativeError("TROUPE_ERR_RANK_MISMATCH", "tensor " + std::to_string(i) + " has rank " +
                                                        std::to_string(ht.shape.size()) + " but the batch has rank " +
                                                        std::to_string(plan.target.size()));
    for (size_t k = 0; k < ht.shape.size(); ++k)
      if (ht.shape[k] > plan.target[k])
        throw NativeError("TROUPE_ERR_SHAPE_MISMATCH", "tensor " + std::to_string(i) + " is larger than the batch "
                                                       "shape along dimension " + std::to_string(k));
    Napi::Value data = t.Get("data");
    TROUPE_CHECK_TYPED_ARRAY(data, "tensor data");
    if (data.As<Napi::TypedArray>().TypedArrayType() != DTypeArrayType(d))
      throw NativeError("TROUPE_ERR_DTYPE_MISMATCH", "tensor " + std::to_string(i) + " says " + DTypeName(d) +
                                                         " but its data is a different typed array");
    ByteRange bytes = ReadBytes(env, data, "tensor data");
    const size_t expected = static_cast<size_t>(Product(ht.shape)) * DTypeSize(d);
    if (bytes.bytes != expected)
      throw NativeError("TROUPE_ERR_SHAPE_MISMATCH",
                        "tensor " + std::to_string(i) + " has " + std::to_string(bytes.bytes) +
                            " bytes of data but its shape needs " + std::to_string(expected),
                        {{"index", i}, {"expected", static_cast<double>(expected)},
                         {"actual", static_cast<double>(bytes.bytes)}});
    ht.data = bytes.data;
    plan.inputs.push_back(std::move(ht));
    if (keep) keep->push_back(Napi::Persistent(data));
  }
  plan.elem_size = DTypeSize(*dtype);
  return plan;
}

}  // namespace troupe
