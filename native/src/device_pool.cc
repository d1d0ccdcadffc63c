#include "device_pool.h"

#include <unistd.h>

#include <cstdlib>
#include <map>

#include "native_error.h"

namespace troupe {

namespace {

// Intentionally leaked: pools must outlive every thread and static destructor,
// and the CUDA runtime may already be torn down at exit.
struct Registry {
  std::mutex mu;
  std::map<int, std::shared_ptr<Pool>> pools;
  std::atomic<uint64_t> next_slot_id{1};
};

Registry& registry() {
  static Registry* r = new Registry();
  return *r;
}

size_t DefaultBytes(int device) {
  if (device == kHostDevice) {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    const size_t quarter = pages > 0 && page > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page) / 4 : 0;
    const size_t gib = size_t{1} << 30;
    return quarter > 0 && quarter < gib ? quarter : gib;
  }
  for (const auto& d : gpu::ListDevices())
    if (d.index == device) return d.free_memory / 2;
  return 0;
}

void FreePoolMemory(Pool& pool) {
  if (pool.device == kHostDevice)
    std::free(pool.base);
  else
    gpu::DeviceFree(pool.device, pool.base);
  pool.base = nullptr;
}

std::string DeviceName(int device) { return device == kHostDevice ? "host" : "device " + std::to_string(device); }

}  // namespace

// ---- SlotState ----

SlotState::SlotState(uint64_t id, std::shared_ptr<Pool> pool, size_t offset, size_t bytes)
    : id_(id),
      pool_(std::move(pool)),
      offset_(offset),
      bytes_(bytes),
      base_(pool_->base + offset),
      alloc_(bytes, kAlignment) {}

SlotState::~SlotState() {
  std::lock_guard<std::mutex> lock(mu_);
  released_ = true;
  ReturnRegionLocked();
}

void SlotState::ReturnRegionLocked() {
  if (returned_) return;
  returned_ = true;
  if (!is_host()) {
    gpu::StreamDestroy(pool_->device, stream_);
    gpu::StagingFree(pool_->device, staging_);
    stream_ = nullptr;
  }
  std::lock_guard<std::mutex> pool_lock(pool_->mu);
  pool_->slots.Free(offset_);
  pool_->live_slots--;
}

size_t SlotState::Allocate(size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  if (released_)
    throw NativeError("TROUPE_ERR_SLOT_RELEASED", "slot " + std::to_string(id_) +
                                                      " was released: acquire a new slot before allocating",
                      {{"slot", static_cast<double>(id_)}});
  const size_t need = alloc_.Aligned(bytes == 0 ? 1 : bytes);
  if (alloc_.used() + need > alloc_.size())
    throw NativeError("TROUPE_ERR_SLOT_QUOTA",
                      "slot " + std::to_string(id_) + " on " + DeviceName(device()) + " cannot hold " +
                          std::to_string(bytes) + " more bytes: " + std::to_string(alloc_.used()) + " of " +
                          std::to_string(alloc_.size()) + " are in use; free buffers or ask for a larger slot",
                      {{"requested", static_cast<double>(bytes)},
                       {"used", static_cast<double>(alloc_.used())},
                       {"limit", static_cast<double>(alloc_.size())}});
  auto offset = alloc_.Allocate(bytes);
  if (!offset)
    throw NativeError("TROUPE_ERR_SLOT_FRAGMENTED",
                      "slot " + std::to_string(id_) + " has " + std::to_string(alloc_.size() - alloc_.used()) +
                          " free bytes but no free run of " + std::to_string(need) +
                          ": free buffers or allocate fewer, larger ones",
                      {{"requested", static_cast<double>(bytes)},
                       {"used", static_cast<double>(alloc_.used())},
                       {"limit", static_cast<double>(alloc_.size())},
                       {"largestFree", static_cast<double>(alloc_.LargestFree())}});
  return *offset;
}

void SlotState::Free(size_t offset) {
  std::lock_guard<std::mutex> lock(mu_);
  alloc_.Free(offset);
}

void SlotState::Release() {
  std::lock_guard<std::mutex> lock(mu_);
  if (released_) return;
  released_ = true;
  if (inflight_ == 0) ReturnRegionLocked();
}

bool SlotState::released() {
  std::lock_guard<std::mutex> lock(mu_);
  return released_;
}

size_t SlotState::used() {
  std::lock_guard<std::mutex> lock(mu_);
  return alloc_.used();
}

size_t SlotState::largest_free() {
  std::lock_guard<std::mutex> lock(mu_);
  return alloc_.LargestFree();
}

size_t SlotState::buffer_count() {
  std::lock_guard<std::mutex> lock(mu_);
  return alloc_.count();
}

void SlotState::BeginOp() {
  std::lock_guard<std::mutex> lock(mu_);
  if (released_)
    throw NativeError("TROUPE_ERR_SLOT_RELEASED",
                      "slot " + std::to_string(id_) + " was released: acquire a new slot before using it",
                      {{"slot", static_cast<double>(id_)}});
  inflight_++;
}

void SlotState::EndOp() {
  std::lock_guard<std::mutex> lock(mu_);
  inflight_--;
  if (released_ && inflight_ == 0) ReturnRegionLocked();
}

void* SlotState::stream() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!stream_ && !is_host()) stream_ = gpu::StreamCreate(pool_->device);
  return stream_;
}

// ---- BufferState ----

void BufferState::Free() {
  std::lock_guard<std::mutex> lock(mu_);
  freed_ = true;
  if (inflight_ == 0 && !returned_) {
    returned_ = true;
    slot_->Free(offset_);
  }
}

bool BufferState::freed() {
  std::lock_guard<std::mutex> lock(mu_);
  return freed_;
}

void BufferState::BeginOp() {
  std::lock_guard<std::mutex> lock(mu_);
  if (freed_) throw NativeError("TROUPE_ERR_BUFFER_FREED", "the slot buffer was freed: allocate a new one");
  slot_->BeginOp();
  inflight_++;
}

void BufferState::EndOp() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    inflight_--;
    if (freed_ && inflight_ == 0 && !returned_) {
      returned_ = true;
      slot_->Free(offset_);
    }
  }
  slot_->EndOp();
}

// ---- pools ----

namespace pools {

void CheckDevice(int device) {
  if (device == kHostDevice) return;
  const int count = gpu::DeviceCount();
  if (device < 0 || device >= count)
    throw NativeError("TROUPE_ERR_NO_SUCH_DEVICE",
                      "there is no GPU with index " + std::to_string(device) + " (this machine has " +
                          std::to_string(count) + "; " + gpu::Diagnostic() +
                          "): pick an index from devices() or use device 'host'",
                      {{"device", device}, {"count", count}});
}

std::shared_ptr<Pool> Reserve(int device, size_t bytes) {
  CheckDevice(device);
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  auto it = r.pools.find(device);
  if (it != r.pools.end()) {
    if (bytes == 0 || bytes == it->second->bytes) return it->second;
    throw NativeError("TROUPE_ERR_POOL_RESERVED",
                      "the pool of " + DeviceName(device) + " is already reserved with " +
                          std::to_string(it->second->bytes) + " bytes: close it first (all its slots released) "
                          "to reserve a different size",
                      {{"device", device}, {"bytes", static_cast<double>(it->second->bytes)}});
  }
  if (bytes == 0) bytes = DefaultBytes(device);
  bytes = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  if (bytes == 0)
    throw NativeError("TROUPE_ERR_NATIVE_ARGUMENT", "a pool needs a positive size in bytes");
  uint8_t* base = nullptr;
  if (device == kHostDevice) {
    const size_t page = 4096;
    base = static_cast<uint8_t*>(std::aligned_alloc(page, (bytes + page - 1) / page * page));
    if (!base)
      throw NativeError("TROUPE_ERR_HOST_OUT_OF_MEMORY",
                        "could not reserve " + std::to_string(bytes) + " bytes of host memory for the host pool",
                        {{"requested", static_cast<double>(bytes)}});
  } else {
    base = static_cast<uint8_t*>(gpu::DeviceAlloc(device, bytes));
  }
  auto pool = std::make_shared<Pool>(device, bytes, base);
  r.pools[device] = pool;
  return pool;
}

std::shared_ptr<Pool> Get(int device) { return Reserve(device, 0); }

bool Close(int device) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  auto it = r.pools.find(device);
  if (it == r.pools.end()) return true;
  {
    std::lock_guard<std::mutex> pool_lock(it->second->mu);
    if (it->second->live_slots > 0) return false;
  }
  FreePoolMemory(*it->second);
  r.pools.erase(it);
  return true;
}

std::vector<PoolStats> Stats() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::vector<PoolStats> out;
  for (const auto& [device, pool] : r.pools) {
    std::lock_guard<std::mutex> pool_lock(pool->mu);
    out.push_back(PoolStats{device, pool->bytes, pool->slots.used(), pool->slots.LargestFree(), pool->live_slots});
  }
  return out;
}

std::shared_ptr<SlotState> AcquireSlot(int device, size_t bytes, double fraction) {
  auto pool = Get(device);
  if (bytes == 0) {
    if (!(fraction > 0 && fraction <= 1))
      throw NativeError("TROUPE_ERR_NATIVE_ARGUMENT", "a slot needs bytes > 0 or a fraction in (0, 1]");
    bytes = static_cast<size_t>(static_cast<double>(pool->bytes) * fraction) / kAlignment * kAlignment;
    if (bytes == 0) bytes = kAlignment;
  }
  std::lock_guard<std::mutex> pool_lock(pool->mu);
  auto offset = pool->slots.Allocate(bytes);
  if (!offset)
    throw NativeError("TROUPE_ERR_POOL_EXHAUSTED",
                      "the pool of " + DeviceName(device) + " cannot give a slot of " + std::to_string(bytes) +
                          " bytes: " + std::to_string(pool->slots.size() - pool->slots.used()) +
                          " bytes are free (largest run " + std::to_string(pool->slots.LargestFree()) +
                          "); release slots or reserve a larger pool",
                      {{"device", device},
                       {"requested", static_cast<double>(bytes)},
                       {"free", static_cast<double>(pool->slots.size() - pool->slots.used())},
                       {"limit", static_cast<double>(pool->slots.size())}});
  pool->live_slots++;
  const size_t aligned = pool->slots.Aligned(bytes);
  return std::make_shared<SlotState>(registry().next_slot_id++, pool, *offset, aligned);
}

}  // namespace pools

}  // namespace troupe
