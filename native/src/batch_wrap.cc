#include "batch_wrap.h"

#include "common.h"
#include "promise_worker.h"
#include "tensor_args.h"

namespace troupe {

namespace {

struct HostGather {
  std::shared_ptr<GatherPlan> plan;
  ByteRange out;
};

// Shared by both forms: gather(tensors, out, target, rows, padBits).
HostGather ReadHostGather(const Napi::CallbackInfo& info, std::vector<Napi::Reference<Napi::Value>>* keep) {
  Napi::Env env = info.Env();
  TROUPE_CHECK_ARGC(info, 5, "gather");
  TROUPE_CHECK_ARRAY(info[0], "tensors");
  DType dtype;
  auto plan = std::make_shared<GatherPlan>(
      ReadGatherPlan(env, info[0].As<Napi::Array>(), info[2], info[3], info[4], &dtype, keep));
  TROUPE_CHECK_TYPED_ARRAY(info[1], "out");
  if (info[1].As<Napi::TypedArray>().TypedArrayType() != DTypeArrayType(dtype))
    throw NativeError("TROUPE_ERR_DTYPE_MISMATCH", std::string("the output array does not hold ") + DTypeName(dtype));
  ByteRange out = ReadBytes(env, info[1], "out");
  if (out.bytes != plan->OutputBytes())
    throw NativeError("TROUPE_ERR_SHAPE_MISMATCH", "the output array has " + std::to_string(out.bytes) +
                                                       " bytes but the batch needs " +
                                                       std::to_string(plan->OutputBytes()));
  if (keep) keep->push_back(Napi::Persistent(info[1]));
  return HostGather{plan, out};
}

Napi::Value Gather(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    HostGather g = ReadHostGather(info, nullptr);
    GatherHost(*g.plan, g.out.data);
    return info.Env().Undefined();
  });
}

Napi::Value GatherAsync(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    std::vector<Napi::Reference<Napi::Value>> keep;
    HostGather g = ReadHostGather(info, &keep);
    return PromiseWorker::Start(
        info.Env(), [g]() { GatherHost(*g.plan, g.out.data); }, nullptr, nullptr, std::move(keep));
  });
}

// scatterCrop(batch, rowShape, elemSize, items) with items = [{ index, crop, out }]:
// copies row `index` of the batch, cropped to `crop`, into `out`.
Napi::Value ScatterCrop(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    TROUPE_CHECK_ARGC(info, 4, "scatterCrop");
    ByteRange batch = ReadBytes(env, info[0], "batch");
    const std::vector<int64_t> row = ReadShape(info[1], "row shape");
    const size_t es = ToSize(info[2], "element size");
    if (es != 1 && es != 2 && es != 4 && es != 8) TROUPE_THROW_ARG("element size must be 1, 2, 4 or 8");
    const size_t row_bytes = static_cast<size_t>(Product(row)) * es;
    TROUPE_CHECK_ARRAY(info[3], "items");
    Napi::Array items = info[3].As<Napi::Array>();
    for (uint32_t i = 0; i < items.Length(); ++i) {
      Napi::Value v = items.Get(i);
      TROUPE_CHECK_OBJECT(v, "item");
      Napi::Object item = v.As<Napi::Object>();
      const size_t index = ToSize(item.Get("index"), "index");
      const std::vector<int64_t> crop = ReadShape(item.Get("crop"), "crop");
      if (crop.size() != row.size()) TROUPE_THROW_ARG("crop rank differs from the batch row rank");
      for (size_t k = 0; k < crop.size(); ++k)
        if (crop[k] > row[k])
          throw NativeError("TROUPE_ERR_SHAPE_MISMATCH",
                            "crop of item " + std::to_string(i) + " exceeds the batch along dimension " +
                                std::to_string(k + 1));
      if ((index + 1) * row_bytes > batch.bytes)
        throw NativeError("TROUPE_ERR_SHAPE_MISMATCH",
                          "the batch has no row " + std::to_string(index) + " of " + std::to_string(row_bytes) +
                              " bytes");
      ByteRange out = ReadBytes(env, item.Get("out"), "out");
      if (out.bytes != static_cast<size_t>(Product(crop)) * es)
        TROUPE_THROW_ARG("the output of item " + std::to_string(i) + " does not match its crop");
      CropCopy(batch.data + index * row_bytes, row, crop, es, out.data);
    }
    return env.Undefined();
  });
}

}  // namespace

void InitBatch(Napi::Env env, Napi::Object exports) {
  exports.Set("gather", Napi::Function::New<Gather>(env, "gather"));
  exports.Set("gatherAsync", Napi::Function::New<GatherAsync>(env, "gatherAsync"));
  exports.Set("scatterCrop", Napi::Function::New<ScatterCrop>(env, "scatterCrop"));
}

}  // namespace troupe
