// JS faces of a slot and of a buffer carved from it.
#pragma once

#include <napi.h>

#include <memory>

#include "device_pool.h"

namespace troupe {

class SlotWrap : public Napi::ObjectWrap<SlotWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  static Napi::Object New(Napi::Env env, std::shared_ptr<SlotState> slot);
  explicit SlotWrap(const Napi::CallbackInfo& info);
  ~SlotWrap() override;

  const std::shared_ptr<SlotState>& state() const { return slot_; }

 private:
  Napi::Value Alloc(const Napi::CallbackInfo& info);
  Napi::Value Release(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Gather(const Napi::CallbackInfo& info);
  Napi::Value Id(const Napi::CallbackInfo& info);
  Napi::Value Device(const Napi::CallbackInfo& info);
  Napi::Value Bytes(const Napi::CallbackInfo& info);
  Napi::Value Released(const Napi::CallbackInfo& info);

  std::shared_ptr<SlotState> slot_;
};

class BufferWrap : public Napi::ObjectWrap<BufferWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  static Napi::Object New(Napi::Env env, Napi::Object slot_object, std::shared_ptr<BufferState> buffer);
  explicit BufferWrap(const Napi::CallbackInfo& info);
  ~BufferWrap() override;

 private:
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value HostView(const Napi::CallbackInfo& info);
  Napi::Value Free(const Napi::CallbackInfo& info);
  Napi::Value ByteLength(const Napi::CallbackInfo& info);
  Napi::Value Freed(const Napi::CallbackInfo& info);
  Napi::Value Address(const Napi::CallbackInfo& info);
  Napi::Value Device(const Napi::CallbackInfo& info);
  Napi::Value SlotObject(const Napi::CallbackInfo& info);

  std::shared_ptr<BufferState> live(const char* what);

  std::shared_ptr<BufferState> buffer_;
  Napi::ObjectReference slot_object_;  // a buffer keeps its slot reachable
};

}  // namespace troupe
