// aliasArrayBuffer(view): an ordinary ArrayBuffer over the bytes of a view into a
// SharedArrayBuffer, for consumers (onnxruntime-node) that refuse shared memory.
// The alias holds a strong reference to the shared buffer until it is collected,
// so the shared memory cannot go away while the alias lives.
#include "alias_array_buffer.h"

#include "common.h"
#include "tensor_args.h"

namespace troupe {

namespace {

struct AliasHint {
  napi_ref shared = nullptr;
};

void FinalizeAlias(napi_env env, void* /*data*/, void* hint) {
  auto* h = static_cast<AliasHint*>(hint);
  if (h->shared) napi_delete_reference(env, h->shared);
  delete h;
}

Napi::Value AliasArrayBuffer(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    TROUPE_CHECK_ARGC(info, 2, "aliasArrayBuffer");
    TROUPE_CHECK_TYPED_ARRAY(info[0], "view");
    TROUPE_CHECK_OBJECT(info[1], "owner");
    ByteRange range = ReadBytes(env, info[0], "view");
    auto* hint = new AliasHint();
    if (napi_create_reference(env, info[1], 1, &hint->shared) != napi_ok) {
      delete hint;
      TROUPE_THROW_ARG("cannot hold a reference to the shared buffer");
    }
    napi_value result;
    napi_status status =
        napi_create_external_arraybuffer(env, range.data, range.bytes, FinalizeAlias, hint, &result);
    if (status != napi_ok) {
      napi_delete_reference(env, hint->shared);
      delete hint;
      throw NativeError("TROUPE_ERR_NATIVE_INTERNAL", "this runtime refused an external ArrayBuffer");
    }
    return Napi::Value(env, result);
  });
}

}  // namespace

void InitAlias(Napi::Env env, Napi::Object exports) {
  exports.Set("aliasArrayBuffer", Napi::Function::New<AliasArrayBuffer>(env, "aliasArrayBuffer"));
}

}  // namespace troupe
