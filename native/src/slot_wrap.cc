#include "slot_wrap.h"

#include <cstring>

#include "common.h"
#include "instance_data.h"
#include "promise_worker.h"
#include "tensor_args.h"

namespace troupe {

namespace {

// Holds a buffer for the duration of an async copy (see BufferState::BeginOp).
std::function<void()> EndOpLater(std::shared_ptr<BufferState> buffer) {
  return [buffer]() { buffer->EndOp(); };
}

}  // namespace

// ---------------- SlotWrap ----------------

Napi::Function SlotWrap::Define(Napi::Env env) {
  return DefineClass(env, "NativeSlot",
                     {
                         InstanceMethod<&SlotWrap::Alloc>("alloc"),
                         InstanceMethod<&SlotWrap::Release>("release"),
                         InstanceMethod<&SlotWrap::Stats>("stats"),
                         InstanceMethod<&SlotWrap::Gather>("gather"),
                         InstanceAccessor<&SlotWrap::Id>("id"),
                         InstanceAccessor<&SlotWrap::Device>("device"),
                         InstanceAccessor<&SlotWrap::Bytes>("bytes"),
                         InstanceAccessor<&SlotWrap::Released>("released"),
                     });
}

Napi::Object SlotWrap::New(Napi::Env env, std::shared_ptr<SlotState> slot) {
  auto* holder = new std::shared_ptr<SlotState>(std::move(slot));
  return InstanceData::Of(env)->slot_ctor.New({Napi::External<std::shared_ptr<SlotState>>::New(env, holder)});
}

SlotWrap::SlotWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SlotWrap>(info) {
  if (info.Length() != 1 || !info[0].IsExternal()) {
    Napi::TypeError::New(info.Env(), "slots come from acquireSlot(); they cannot be constructed")
        .ThrowAsJavaScriptException();
    return;
  }
  auto* holder = info[0].As<Napi::External<std::shared_ptr<SlotState>>>().Data();
  slot_ = std::move(*holder);
  delete holder;
  InstanceData::Of(info.Env())->AddSlot(slot_);
}

SlotWrap::~SlotWrap() {
  // Collected without release(): the memory goes back anyway.
  if (slot_) slot_->Release();
}

Napi::Value SlotWrap::Alloc(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    TROUPE_CHECK_ARGC(info, 1, "alloc");
    const size_t bytes = ToSize(info[0], "bytes");
    const size_t offset = slot_->Allocate(bytes);
    return BufferWrap::New(info.Env(), Value(), std::make_shared<BufferState>(slot_, offset, bytes));
  });
}

Napi::Value SlotWrap::Release(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    InstanceData::Of(info.Env())->ReleaseSlot(info.Env(), slot_.get());
    slot_->Release();
    return info.Env().Undefined();
  });
}

Napi::Value SlotWrap::Stats(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("id", Napi::Number::New(env, static_cast<double>(slot_->id())));
    o.Set("device", Napi::Number::New(env, slot_->device()));
    o.Set("bytes", Napi::Number::New(env, static_cast<double>(slot_->bytes())));
    o.Set("used", Napi::Number::New(env, static_cast<double>(slot_->used())));
    o.Set("largestFree", Napi::Number::New(env, static_cast<double>(slot_->largest_free())));
    o.Set("buffers", Napi::Number::New(env, static_cast<double>(slot_->buffer_count())));
    o.Set("released", Napi::Boolean::New(env, slot_->released()));
    return o;
  });
}

// gather(tensors, target, rows, padBits) -> Promise<buffer>
Napi::Value SlotWrap::Gather(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    TROUPE_CHECK_ARGC(info, 4, "gather");
    TROUPE_CHECK_ARRAY(info[0], "tensors");
    std::vector<Napi::Reference<Napi::Value>> keep;
    DType dtype;
    auto plan = std::make_shared<GatherPlan>(
        ReadGatherPlan(env, info[0].As<Napi::Array>(), info[1], info[2], info[3], &dtype, &keep));
    auto out = std::make_shared<BufferState>(slot_, slot_->Allocate(plan->OutputBytes()), plan->OutputBytes());
    std::shared_ptr<BufferState> scratch;
    if (!slot_->is_host()) {
      const size_t scratch_bytes = gpu::GatherScratchBytes(*plan);
      scratch = std::make_shared<BufferState>(slot_, slot_->Allocate(scratch_bytes), scratch_bytes);
    }
    out->BeginOp();
    auto slot = slot_;
    auto slot_obj = std::make_shared<Napi::ObjectReference>(Napi::Persistent(Value()));
    return PromiseWorker::Start(
        env,
        [plan, out, scratch, slot]() {
          std::lock_guard<std::mutex> lock(slot->op_mutex());
          if (slot->is_host()) {
            GatherHost(*plan, out->data());
          } else {
            gpu::GatherToDevice(slot->device(), slot->stream(), slot->staging(), *plan, out->data(), scratch->data());
          }
        },
        [out, slot_obj](Napi::Env env) -> Napi::Value { return BufferWrap::New(env, slot_obj->Value(), out); },
        [out, scratch]() mutable {
          out->EndOp();
          if (scratch) scratch->Free();
        },
        std::move(keep));
  });
}

Napi::Value SlotWrap::Id(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(slot_->id()));
}
Napi::Value SlotWrap::Device(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), slot_->device()); }
Napi::Value SlotWrap::Bytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(slot_->bytes()));
}
Napi::Value SlotWrap::Released(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), slot_->released());
}

// ---------------- BufferWrap ----------------

Napi::Function BufferWrap::Define(Napi::Env env) {
  return DefineClass(env, "NativeSlotBuffer",
                     {
                         InstanceMethod<&BufferWrap::Write>("write"),
                         InstanceMethod<&BufferWrap::Read>("read"),
                         InstanceMethod<&BufferWrap::HostView>("hostView"),
                         InstanceMethod<&BufferWrap::Free>("free"),
                         InstanceAccessor<&BufferWrap::ByteLength>("byteLength"),
                         InstanceAccessor<&BufferWrap::Freed>("freed"),
                         InstanceAccessor<&BufferWrap::Address>("address"),
                         InstanceAccessor<&BufferWrap::Device>("device"),
                         InstanceAccessor<&BufferWrap::SlotObject>("slot"),
                     });
}

Napi::Object BufferWrap::New(Napi::Env env, Napi::Object slot_object, std::shared_ptr<BufferState> buffer) {
  auto* holder = new std::shared_ptr<BufferState>(std::move(buffer));
  return InstanceData::Of(env)->buffer_ctor.New(
      {Napi::External<std::shared_ptr<BufferState>>::New(env, holder), slot_object});
}

BufferWrap::BufferWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BufferWrap>(info) {
  if (info.Length() != 2 || !info[0].IsExternal() || !info[1].IsObject()) {
    Napi::TypeError::New(info.Env(), "slot buffers come from slot.alloc(); they cannot be constructed")
        .ThrowAsJavaScriptException();
    return;
  }
  auto* holder = info[0].As<Napi::External<std::shared_ptr<BufferState>>>().Data();
  buffer_ = std::move(*holder);
  delete holder;
  slot_object_ = Napi::Persistent(info[1].As<Napi::Object>());
}

BufferWrap::~BufferWrap() {
  if (buffer_) buffer_->Free();
}

std::shared_ptr<BufferState> BufferWrap::live(const char* what) {
  if (!buffer_ || buffer_->freed())
    throw NativeError("TROUPE_ERR_BUFFER_FREED",
                      std::string("cannot ") + what + " a slot buffer that was freed: allocate a new one");
  if (buffer_->slot()->released())
    throw NativeError("TROUPE_ERR_SLOT_RELEASED",
                      std::string("cannot ") + what + " a buffer of slot " + std::to_string(buffer_->slot()->id()) +
                          ", which was released: acquire a new slot",
                      {{"slot", static_cast<double>(buffer_->slot()->id())}});
  return buffer_;
}

namespace {

void CheckRange(size_t offset, size_t bytes, size_t limit, const char* what) {
  if (offset > limit || bytes > limit - offset)
    throw NativeError("TROUPE_ERR_OUT_OF_RANGE",
                      std::string(what) + " of " + std::to_string(bytes) + " bytes at offset " +
                          std::to_string(offset) + " does not fit a buffer of " + std::to_string(limit) + " bytes",
                      {{"offset", static_cast<double>(offset)},
                       {"bytes", static_cast<double>(bytes)},
                       {"limit", static_cast<double>(limit)}});
}

}  // namespace

// write(source, byteOffset) -> Promise<void>: host memory (any view, shared or not) into the buffer.
Napi::Value BufferWrap::Write(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    TROUPE_CHECK_ARGC(info, 2, "write");
    auto buffer = live("write to");
    ByteRange src = ReadBytes(env, info[0], "source");
    const size_t offset = ToSize(info[1], "byteOffset");
    CheckRange(offset, src.bytes, buffer->bytes(), "a write");
    buffer->BeginOp();
    std::vector<Napi::Reference<Napi::Value>> keep;
    keep.push_back(Napi::Persistent(info[0]));
    return PromiseWorker::Start(
        env,
        [buffer, src, offset]() {
          auto& slot = *buffer->slot();
          std::lock_guard<std::mutex> lock(slot.op_mutex());
          if (slot.is_host())
            std::memcpy(buffer->data() + offset, src.data, src.bytes);
          else
            gpu::CopyToDevice(slot.device(), slot.stream(), slot.staging(), buffer->data() + offset, src.data,
                              src.bytes);
        },
        nullptr, EndOpLater(buffer), std::move(keep));
  });
}

// read(target, byteOffset) -> Promise<void>: buffer bytes into host memory.
Napi::Value BufferWrap::Read(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    TROUPE_CHECK_ARGC(info, 2, "read");
    auto buffer = live("read from");
    ByteRange dst = ReadBytes(env, info[0], "target");
    const size_t offset = ToSize(info[1], "byteOffset");
    CheckRange(offset, dst.bytes, buffer->bytes(), "a read");
    buffer->BeginOp();
    std::vector<Napi::Reference<Napi::Value>> keep;
    keep.push_back(Napi::Persistent(info[0]));
    return PromiseWorker::Start(
        env,
        [buffer, dst, offset]() {
          auto& slot = *buffer->slot();
          std::lock_guard<std::mutex> lock(slot.op_mutex());
          if (slot.is_host())
            std::memcpy(dst.data, buffer->data() + offset, dst.bytes);
          else
            gpu::CopyToHost(slot.device(), slot.stream(), slot.staging(), dst.data, buffer->data() + offset,
                            dst.bytes);
        },
        nullptr, EndOpLater(buffer), std::move(keep));
  });
}

// hostView() -> ArrayBuffer over a host slot buffer's memory, detached when the buffer is freed.
Napi::Value BufferWrap::HostView(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto buffer = live("view");
    if (!buffer->slot()->is_host())
      throw NativeError("TROUPE_ERR_NOT_HOST_MEMORY",
                        "a buffer in GPU memory has no host view: copy it out with read()");
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, buffer->data(), buffer->bytes());
    InstanceData::Of(env)->AddView(env, buffer->slot().get(), buffer.get(), ab);
    return ab;
  });
}

Napi::Value BufferWrap::Free(const Napi::CallbackInfo& info) {
  return Guard(info.Env(), [&]() -> Napi::Value {
    if (buffer_) {
      InstanceData::Of(info.Env())->DetachViews(info.Env(), buffer_->slot().get(), buffer_.get());
      buffer_->Free();
    }
    return info.Env().Undefined();
  });
}

Napi::Value BufferWrap::ByteLength(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), buffer_ ? static_cast<double>(buffer_->bytes()) : 0);
}
Napi::Value BufferWrap::Freed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !buffer_ || buffer_->freed() || buffer_->slot()->released());
}
Napi::Value BufferWrap::Address(const Napi::CallbackInfo& info) {
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(reinterpret_cast<uintptr_t>(buffer_->data())));
}
Napi::Value BufferWrap::Device(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), buffer_->slot()->device());
}
Napi::Value BufferWrap::SlotObject(const Napi::CallbackInfo& info) { return slot_object_.Value(); }

}  // namespace troupe
