// Built when no CUDA toolkit was found: no devices, and every device call says so.
#include "native_error.h"
#include "gpu_backend.h"

namespace troupe::gpu {

namespace {
[[noreturn]] void NoCuda() {
  throw NativeError("TROUPE_ERR_NATIVE_NO_CUDA",
                    "this build of the native addon has no CUDA support: install the CUDA toolkit (nvcc) and run "
                    "`npm run build:native`, or use host slots (device 'host')");
}
}  // namespace

bool Compiled() { return false; }
std::string Diagnostic() { return "the addon was built without CUDA"; }
std::vector<DeviceInfo> ListDevices() { return {}; }
int DeviceCount() { return 0; }
void* DeviceAlloc(int, size_t) { NoCuda(); }
void DeviceFree(int, void*) {}
void* StreamCreate(int) { NoCuda(); }
void StreamDestroy(int, void*) {}
void StagingFree(int, Staging&) {}
void CopyToDevice(int, void*, Staging&, void*, const void*, size_t) { NoCuda(); }
void CopyToHost(int, void*, Staging&, void*, const void*, size_t) { NoCuda(); }
void CopyDeviceToDevice(int, void*, void*, const void*, size_t) { NoCuda(); }
size_t GatherScratchBytes(const GatherPlan&) { return 0; }
void GatherToDevice(int, void*, Staging&, const GatherPlan&, void*, void*) { NoCuda(); }
double MeasurePinnedBandwidth(int, size_t, int, bool) { NoCuda(); }

}  // namespace troupe::gpu
