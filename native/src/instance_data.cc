#include "instance_data.h"

namespace troupe {

InstanceData::~InstanceData() {
  // The environment is being torn down: views die with it, slots go back.
  for (auto& view : views_) view.ref.Reset();
  for (auto& [ptr, slot] : slots_) slot->Release();
}

void InstanceData::ReleaseSlot(Napi::Env env, SlotState* slot) {
  DetachViews(env, slot, nullptr);
  auto it = slots_.find(slot);
  if (it == slots_.end()) return;
  it->second->Release();
  slots_.erase(it);
}

void InstanceData::AddView(Napi::Env env, SlotState* slot, BufferState* buffer, Napi::ArrayBuffer view) {
  // Drop the references of views the GC already collected.
  std::vector<View> alive;
  for (auto& v : views_)
    if (!v.ref.Value().IsEmpty()) alive.push_back(std::move(v));
  views_ = std::move(alive);
  views_.push_back(View{slot, buffer, Napi::Weak(view)});
}

void InstanceData::DetachViews(Napi::Env env, SlotState* slot, BufferState* buffer) {
  std::vector<View> keep;
  for (auto& v : views_) {
    if (v.slot != slot || (buffer != nullptr && v.buffer != buffer)) {
      keep.push_back(std::move(v));
      continue;
    }
    Napi::ArrayBuffer ab = v.ref.Value();
    if (!ab.IsEmpty() && !ab.IsDetached()) ab.Detach();
  }
  views_ = std::move(keep);
}

}  // namespace troupe
