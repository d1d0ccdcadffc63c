// The CUDA side of the addon behind plain C++ types. gpu_backend.cu implements it
// when the toolkit is found at build time; gpu_backend_stub.cc otherwise. Every
// function except ListDevices throws NativeError on failure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "batch_copy.h"

namespace troupe::gpu {

struct DeviceInfo {
  int index = 0;
  std::string name;
  size_t total_memory = 0;
  size_t free_memory = 0;
  int major = 0;
  int minor = 0;
  std::string pci_bus_id;
};

// Pinned double buffers a slot stages copies through; allocated on first use.
struct Staging {
  static constexpr size_t kChunk = 8u << 20;
  void* pinned[2] = {nullptr, nullptr};
  void* events[2] = {nullptr, nullptr};
};

bool Compiled();
// Why the device list is empty, when it is (driver missing, no device...).
std::string Diagnostic();
// Never throws; empty when there is no driver or no device.
std::vector<DeviceInfo> ListDevices();
int DeviceCount();

void* DeviceAlloc(int device, size_t bytes);
void DeviceFree(int device, void* ptr);
void* StreamCreate(int device);
void StreamDestroy(int device, void* stream);
void StagingFree(int device, Staging& staging);

// Copies between pageable host memory and device memory on `stream`, through
// pinned staging for large copies; returns when the copy is complete.
void CopyToDevice(int device, void* stream, Staging& staging, void* dst, const void* src, size_t bytes);
void CopyToHost(int device, void* stream, Staging& staging, void* dst, const void* src, size_t bytes);
void CopyDeviceToDevice(int device, void* stream, void* dst, const void* src, size_t bytes);

// Packs the plan's inputs through pinned staging into `scratch` (plan.PackedBytes()
// plus the metadata, see GatherScratchBytes) and pads them on the device into dst.
size_t GatherScratchBytes(const GatherPlan& plan);
void GatherToDevice(int device, void* stream, Staging& staging, const GatherPlan& plan, void* dst, void* scratch);

// The device's own copy bandwidth in bytes/s: pinned host memory to device
// (to_device) or back, `bytes` per copy, best of `iterations`.
double MeasurePinnedBandwidth(int device, size_t bytes, int iterations, bool to_device);

}  // namespace troupe::gpu
