// Entry point: registers the functions and classes for each environment (main
// thread and every worker thread) with its own instance data.
#include <napi.h>

#include "alias_array_buffer.h"
#include "batch_wrap.h"
#include "common.h"
#include "device_pool.h"
#include "gpu_backend.h"
#include "instance_data.h"
#include "slot_wrap.h"

namespace troupe {

namespace {

int ReadDevice(const Napi::Value& v) { return ToInt(v, "device"); }

Napi::Value Devices(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto list = gpu::ListDevices();
    Napi::Array out = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) {
      Napi::Object d = Napi::Object::New(env);
      d.Set("index", Napi::Number::New(env, list[i].index));
      d.Set("name", Napi::String::New(env, list[i].name));
      d.Set("totalMemory", Napi::Number::New(env, static_cast<double>(list[i].total_memory)));
      d.Set("freeMemory", Napi::Number::New(env, static_cast<double>(list[i].free_memory)));
      Napi::Array cc = Napi::Array::New(env, 2);
      cc.Set(0u, Napi::Number::New(env, list[i].major));
      cc.Set(1u, Napi::Number::New(env, list[i].minor));
      d.Set("computeCapability", cc);
      d.Set("pciBusId", Napi::String::New(env, list[i].pci_bus_id));
      out.Set(static_cast<uint32_t>(i), d);
    }
    return out;
  });
}

Napi::Value Diagnostic(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value { return Napi::String::New(info.Env(), gpu::Diagnostic()); });
}

Napi::Value ReservePool(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    TROUPE_CHECK_ARGC(info, 2, "reservePool");
    auto pool = pools::Reserve(ReadDevice(info[0]), ToSize(info[1], "bytes"));
    return Napi::Number::New(info.Env(), static_cast<double>(pool->bytes));
  });
}

Napi::Value ClosePool(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    TROUPE_CHECK_ARGC(info, 1, "closePool");
    return Napi::Boolean::New(info.Env(), pools::Close(ReadDevice(info[0])));
  });
}

Napi::Value PoolStats(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto stats = pools::Stats();
    Napi::Array out = Napi::Array::New(env, stats.size());
    for (size_t i = 0; i < stats.size(); ++i) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("device", Napi::Number::New(env, stats[i].device));
      o.Set("bytes", Napi::Number::New(env, static_cast<double>(stats[i].bytes)));
      o.Set("used", Napi::Number::New(env, static_cast<double>(stats[i].used)));
      o.Set("largestFree", Napi::Number::New(env, static_cast<double>(stats[i].largest_free)));
      o.Set("slots", Napi::Number::New(env, static_cast<double>(stats[i].slots)));
      out.Set(static_cast<uint32_t>(i), o);
    }
    return out;
  });
}

// acquireSlot(device, bytes, fraction): bytes 0 means `fraction` of the pool.
Napi::Value AcquireSlot(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    TROUPE_CHECK_ARGC(info, 3, "acquireSlot");
    TROUPE_CHECK_NUMBER(info[2], "fraction");
    auto slot = pools::AcquireSlot(ReadDevice(info[0]), ToSize(info[1], "bytes"),
                                   info[2].As<Napi::Number>().DoubleValue());
    return SlotWrap::New(info.Env(), std::move(slot));
  });
}

Napi::Value OwnedSlots(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(InstanceData::Of(info.Env())->owned_slots()));
}

Napi::Value MeasureCopyBandwidth(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    TROUPE_CHECK_ARGC(info, 4, "measureCopyBandwidth");
    const int device = ReadDevice(info[0]);
    pools::CheckDevice(device);
    if (device < 0) TROUPE_THROW_ARG("measureCopyBandwidth needs a GPU index");
    return Napi::Number::New(info.Env(), gpu::MeasurePinnedBandwidth(device, ToSize(info[1], "bytes"),
                                                                       ToInt(info[2], "iterations"),
                                                                       info[3].ToBoolean().Value()));
  });
}

Napi::Object InitExports(Napi::Env env, Napi::Object exports) {
  auto* data = new InstanceData();
  env.SetInstanceData<InstanceData>(data);
  data->slot_ctor = Napi::Persistent(SlotWrap::Define(env));
  data->buffer_ctor = Napi::Persistent(BufferWrap::Define(env));

  exports.Set("abiVersion", Napi::Number::New(env, 1));
  exports.Set("cudaCompiled", Napi::Boolean::New(env, gpu::Compiled()));
  exports.Set("hostDevice", Napi::Number::New(env, kHostDevice));
  exports.Set("devices", Napi::Function::New<Devices>(env, "devices"));
  exports.Set("diagnostic", Napi::Function::New<Diagnostic>(env, "diagnostic"));
  exports.Set("reservePool", Napi::Function::New<ReservePool>(env, "reservePool"));
  exports.Set("closePool", Napi::Function::New<ClosePool>(env, "closePool"));
  exports.Set("poolStats", Napi::Function::New<PoolStats>(env, "poolStats"));
  exports.Set("acquireSlot", Napi::Function::New<AcquireSlot>(env, "acquireSlot"));
  exports.Set("ownedSlots", Napi::Function::New<OwnedSlots>(env, "ownedSlots"));
  exports.Set("measureCopyBandwidth", Napi::Function::New<MeasureCopyBandwidth>(env, "measureCopyBandwidth"));
  InitBatch(env, exports);
  InitAlias(env, exports);
  return exports;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports);
Napi::Object Init(Napi::Env env, Napi::Object exports) { return InitExports(env, exports); }

}  // namespace troupe

static Napi::Object InitTroupe(Napi::Env env, Napi::Object exports) { return troupe::Init(env, exports); }

NODE_API_MODULE(troupe_native, InitTroupe)
