// Process-wide device pools and the slots carved from them. A pool reserves its
// memory once (device memory, or aligned host memory for device -1); a slot is an
// exclusive region of it with its own quota, stream and staging buffers; buffers
// are carved out of a slot. Shared by every thread of the process under locks.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gpu_backend.h"
#include "range_allocator.h"

namespace troupe {

constexpr int kHostDevice = -1;
constexpr size_t kAlignment = 256;

struct Pool {
  int device = kHostDevice;
  size_t bytes = 0;
  uint8_t* base = nullptr;
  std::mutex mu;
  RangeAllocator slots;
  size_t live_slots = 0;
  Pool(int d, size_t b, uint8_t* p) : device(d), bytes(b), base(p), slots(b, kAlignment) {}
};

struct PoolStats {
  int device;
  size_t bytes, used, largest_free, slots;
};

class SlotState {
 public:
  SlotState(uint64_t id, std::shared_ptr<Pool> pool, size_t offset, size_t bytes);
  ~SlotState();
  SlotState(const SlotState&) = delete;
  SlotState& operator=(const SlotState&) = delete;

  uint64_t id() const { return id_; }
  int device() const { return pool_->device; }
  bool is_host() const { return pool_->device == kHostDevice; }
  size_t bytes() const { return bytes_; }
  uint8_t* base() const { return base_; }

  // Carves `bytes` from the quota; throws SlotQuotaError / fragmentation / released.
  size_t Allocate(size_t bytes);
  void Free(size_t offset);
  // Marks the slot released; its region returns to the pool once no copy runs in it.
  void Release();
  bool released();
  size_t used();
  size_t largest_free();
  size_t buffer_count();

  // An operation in flight keeps the region out of the pool until it ends.
  void BeginOp();  // throws when released
  void EndOp();

  void* stream();  // the slot's own CUDA stream (device slots only)
  gpu::Staging& staging() { return staging_; }
  std::mutex& op_mutex() { return op_mu_; }  // one copy at a time per stream's staging buffers

 private:
  void ReturnRegionLocked();

  uint64_t id_;
  std::shared_ptr<Pool> pool_;
  size_t offset_;
  size_t bytes_;
  uint8_t* base_;
  std::mutex mu_;
  std::mutex op_mu_;
  RangeAllocator alloc_;
  bool released_ = false;
  bool returned_ = false;
  int inflight_ = 0;
  void* stream_ = nullptr;
  gpu::Staging staging_;
};

// A buffer carved from a slot. Freed when its owner frees it; a copy in flight
// defers the actual return of its bytes until the copy ends.
class BufferState {
 public:
  BufferState(std::shared_ptr<SlotState> slot, size_t offset, size_t bytes)
      : slot_(std::move(slot)), offset_(offset), bytes_(bytes) {}
  ~BufferState() { Free(); }
  const std::shared_ptr<SlotState>& slot() const { return slot_; }
  size_t bytes() const { return bytes_; }
  uint8_t* data() const { return slot_->base() + offset_; }
  size_t slot_offset() const { return offset_; }
  void Free();
  bool freed();
  void BeginOp();  // throws when freed or the slot is released
  void EndOp();

 private:
  std::shared_ptr<SlotState> slot_;
  size_t offset_;
  size_t bytes_;
  std::mutex mu_;
  bool freed_ = false;
  bool returned_ = false;
  int inflight_ = 0;
};

namespace pools {

// Reserves the pool of `device` (kHostDevice for host memory); bytes 0 picks the
// default (half the device's free memory; for host min(1 GiB, a quarter of RAM)).
std::shared_ptr<Pool> Reserve(int device, size_t bytes);
// The pool, reserving it with the default size on first use.
std::shared_ptr<Pool> Get(int device);
// Frees a pool that has no live slots; false when slots are still held.
bool Close(int device);
std::vector<PoolStats> Stats();
// Carves a slot of `bytes` (or `fraction` of the pool when bytes is 0).
std::shared_ptr<SlotState> AcquireSlot(int device, size_t bytes, double fraction);
void CheckDevice(int device);

}  // namespace pools

}  // namespace troupe
