// Per-environment state (main thread and each worker thread get their own):
// the wrapper constructors, the slots this environment owns, and the host views
// it handed out. When the environment goes away (its worker exits or dies), every
// slot it still owns goes back to the process-wide pool.
#pragma once

#include <napi.h>

#include <iterator>
#include <map>
#include <memory>
#include <vector>

#include "device_pool.h"

namespace troupe {

class InstanceData {
 public:
  ~InstanceData();

  static InstanceData* Of(Napi::Env env) { return env.GetInstanceData<InstanceData>(); }

  void AddSlot(const std::shared_ptr<SlotState>& slot) {
    for (auto it = slots_.begin(); it != slots_.end();) it = it->second->released() ? slots_.erase(it) : std::next(it);
    slots_[slot.get()] = slot;
  }
  // Releases the slot and detaches every host view into it.
  void ReleaseSlot(Napi::Env env, SlotState* slot);
  void AddView(Napi::Env env, SlotState* slot, BufferState* buffer, Napi::ArrayBuffer view);
  void DetachViews(Napi::Env env, SlotState* slot, BufferState* buffer /* nullptr: all of the slot */);
  size_t owned_slots() const { return slots_.size(); }

  Napi::FunctionReference slot_ctor;
  Napi::FunctionReference buffer_ctor;

 private:
  struct View {
    SlotState* slot;
    BufferState* buffer;
    Napi::Reference<Napi::ArrayBuffer> ref;  // weak
  };
  std::map<SlotState*, std::shared_ptr<SlotState>> slots_;
  std::vector<View> views_;
};

}  // namespace troupe
