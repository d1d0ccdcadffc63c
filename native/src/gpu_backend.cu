// CUDA implementation of gpu_backend.h. Linked against the static CUDA runtime, so
// the addon loads where no driver exists: every entry point then reports no device.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "gpu_backend.h"
#include "native_error.h"

namespace troupe::gpu {

namespace {

constexpr size_t kDirectCopyLimit = 256u << 10;  // below this the driver's own staging is as fast
constexpr int kThreads = 256;

void Check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear the sticky-free error so the next call starts clean
    throw NativeError("TROUPE_ERR_CUDA", std::string(what) + " failed: " + cudaGetErrorString(status));
  }
}

// cudaSetDevice is per host thread and libuv runs our work on any pool thread.
class DeviceScope {
 public:
  explicit DeviceScope(int device) {
    cudaGetDevice(&previous_);
    Check(cudaSetDevice(device), "cudaSetDevice");
  }
  ~DeviceScope() { cudaSetDevice(previous_); }

 private:
  int previous_ = 0;
};

void EnsureStaging(Staging& s) {
  for (int k = 0; k < 2; ++k) {
    if (!s.pinned[k]) Check(cudaHostAlloc(&s.pinned[k], Staging::kChunk, cudaHostAllocDefault), "cudaHostAlloc");
    if (!s.events[k]) {
      cudaEvent_t ev;
      Check(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming), "cudaEventCreate");
      s.events[k] = ev;
    }
  }
}

struct Segment {
  const uint8_t* data;
  size_t bytes;
};

// Streams host segments into one contiguous device range through the two pinned
// buffers: the CPU fills one while the DMA engine drains the other.
void SegmentsToDevice(cudaStream_t stream, Staging& s, uint8_t* dst, const std::vector<Segment>& segments) {
  size_t total = 0;
  for (const auto& seg : segments) total += seg.bytes;
  if (total == 0) return;
  if (total <= kDirectCopyLimit && segments.size() == 1) {
    Check(cudaMemcpyAsync(dst, segments[0].data, total, cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync");
    Check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
    return;
  }
  EnsureStaging(s);
  size_t seg = 0, seg_off = 0, out = 0;
  for (int i = 0; out < total; ++i) {
    const int k = i & 1;
    if (i >= 2) Check(cudaEventSynchronize(static_cast<cudaEvent_t>(s.events[k])), "cudaEventSynchronize");
    uint8_t* pinned = static_cast<uint8_t*>(s.pinned[k]);
    size_t filled = 0;
    while (filled < Staging::kChunk && seg < segments.size()) {
      const size_t n = std::min(Staging::kChunk - filled, segments[seg].bytes - seg_off);
      std::memcpy(pinned + filled, segments[seg].data + seg_off, n);
      filled += n;
      seg_off += n;
      if (seg_off == segments[seg].bytes) {
        ++seg;
        seg_off = 0;
      }
    }
    Check(cudaMemcpyAsync(dst + out, pinned, filled, cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync");
    Check(cudaEventRecord(static_cast<cudaEvent_t>(s.events[k]), stream), "cudaEventRecord");
    out += filled;
  }
  Check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
}

template <typename T>
__global__ void PadGatherKernel(T* dst, const T* src, const int64_t* meta, int64_t total, int64_t row_elems, T pad) {
  const int rank = static_cast<int>(meta[0]);
  const int64_t inputs = meta[2];
  const int64_t* target = meta + 3;
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total; idx += stride) {
    const int64_t b = idx / row_elems;
    if (b >= inputs) {
      dst[idx] = pad;
      continue;
    }
    int64_t r = idx - b * row_elems;
    const int64_t* in = meta + 3 + rank + b * (rank + 1);
    const int64_t* dims = in + 1;
    int64_t src_idx = 0, mul = 1;
    bool inside = true;
    for (int d = rank - 1; d >= 0; --d) {
      const int64_t c = r % target[d];
      r /= target[d];
      if (c >= dims[d]) {
        inside = false;
        break;
      }
      src_idx += c * mul;
      mul *= dims[d];
    }
    dst[idx] = inside ? src[in[0] + src_idx] : pad;
  }
}

template <typename T>
void LaunchPad(cudaStream_t stream, void* dst, const void* src, const int64_t* meta, int64_t total, int64_t row_elems,
               uint64_t pad_bits) {
  T pad;
  std::memcpy(&pad, &pad_bits, sizeof(T));
  const int64_t blocks = std::min<int64_t>((total + kThreads - 1) / kThreads, 65535 * 8);
  PadGatherKernel<T><<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(
      static_cast<T*>(dst), static_cast<const T*>(src), meta, total, row_elems, pad);
  Check(cudaGetLastError(), "pad kernel launch");
}

size_t MetaBytes(const GatherPlan& plan) {
  const size_t rank = plan.target.size();
  const size_t words = 3 + rank + plan.inputs.size() * (rank + 1);
  return (words * sizeof(int64_t) + 255) / 256 * 256;
}

}  // namespace

bool Compiled() { return true; }

std::string Diagnostic() {
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    return cudaGetErrorString(status);
  }
  return count == 0 ? "no CUDA device found" : "ok";
}

int DeviceCount() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return count;
}

std::vector<DeviceInfo> ListDevices() {
  std::vector<DeviceInfo> out;
  const int count = DeviceCount();
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) {
      cudaGetLastError();
      continue;
    }
    DeviceInfo info;
    info.index = i;
    info.name = prop.name;
    info.total_memory = prop.totalGlobalMem;
    info.major = prop.major;
    info.minor = prop.minor;
    char bus[32] = {0};
    if (cudaDeviceGetPCIBusId(bus, sizeof(bus), i) == cudaSuccess) info.pci_bus_id = bus;
    int previous = 0;
    cudaGetDevice(&previous);
    size_t free_mem = 0, total_mem = 0;
    if (cudaSetDevice(i) == cudaSuccess && cudaMemGetInfo(&free_mem, &total_mem) == cudaSuccess) {
      info.free_memory = free_mem;
    } else {
      cudaGetLastError();
    }
    cudaSetDevice(previous);
    out.push_back(info);
  }
  return out;
}

void* DeviceAlloc(int device, size_t bytes) {
  DeviceScope scope(device);
  void* ptr = nullptr;
  cudaError_t status = cudaMalloc(&ptr, bytes);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    throw NativeError("TROUPE_ERR_DEVICE_OUT_OF_MEMORY",
                      "device " + std::to_string(device) + " could not reserve " + std::to_string(bytes) +
                          " bytes: ask for a smaller pool",
                      {{"device", device}, {"requested", static_cast<double>(bytes)}});
  }
  Check(status, "cudaMalloc");
  return ptr;
}

void DeviceFree(int device, void* ptr) {
  if (!ptr) return;
  DeviceScope scope(device);
  cudaFree(ptr);
}

void* StreamCreate(int device) {
  DeviceScope scope(device);
  cudaStream_t stream;
  Check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
  return stream;
}

void StreamDestroy(int device, void* stream) {
  if (!stream) return;
  DeviceScope scope(device);
  cudaStreamDestroy(static_cast<cudaStream_t>(stream));
}

void StagingFree(int device, Staging& s) {
  DeviceScope scope(device);
  for (int k = 0; k < 2; ++k) {
    if (s.pinned[k]) cudaFreeHost(s.pinned[k]);
    if (s.events[k]) cudaEventDestroy(static_cast<cudaEvent_t>(s.events[k]));
    s.pinned[k] = nullptr;
    s.events[k] = nullptr;
  }
}

void CopyToDevice(int device, void* stream, Staging& staging, void* dst, const void* src, size_t bytes) {
  DeviceScope scope(device);
  SegmentsToDevice(static_cast<cudaStream_t>(stream), staging, static_cast<uint8_t*>(dst),
                   {Segment{static_cast<const uint8_t*>(src), bytes}});
}

void CopyToHost(int device, void* stream_ptr, Staging& s, void* dst, const void* src, size_t bytes) {
  DeviceScope scope(device);
  auto stream = static_cast<cudaStream_t>(stream_ptr);
  if (bytes == 0) return;
  if (bytes <= kDirectCopyLimit) {
    Check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync");
    Check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
    return;
  }
  EnsureStaging(s);
  auto* out = static_cast<uint8_t*>(dst);
  const auto* in = static_cast<const uint8_t*>(src);
  const size_t chunks = (bytes + Staging::kChunk - 1) / Staging::kChunk;
  auto issue = [&](size_t i) {
    const size_t off = i * Staging::kChunk, n = std::min(Staging::kChunk, bytes - off);
    const int k = static_cast<int>(i & 1);
    Check(cudaMemcpyAsync(s.pinned[k], in + off, n, cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync");
    Check(cudaEventRecord(static_cast<cudaEvent_t>(s.events[k]), stream), "cudaEventRecord");
  };
  issue(0);
  for (size_t i = 0; i < chunks; ++i) {
    if (i + 1 < chunks) issue(i + 1);  // the DMA of the next chunk overlaps this memcpy
    const int k = static_cast<int>(i & 1);
    Check(cudaEventSynchronize(static_cast<cudaEvent_t>(s.events[k])), "cudaEventSynchronize");
    const size_t off = i * Staging::kChunk, n = std::min(Staging::kChunk, bytes - off);
    std::memcpy(out + off, s.pinned[k], n);
  }
}

void CopyDeviceToDevice(int device, void* stream, void* dst, const void* src, size_t bytes) {
  DeviceScope scope(device);
  Check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, static_cast<cudaStream_t>(stream)),
        "cudaMemcpyAsync");
  Check(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)), "cudaStreamSynchronize");
}

size_t GatherScratchBytes(const GatherPlan& plan) { return MetaBytes(plan) + plan.PackedBytes(); }

void GatherToDevice(int device, void* stream_ptr, Staging& staging, const GatherPlan& plan, void* dst,
                    void* scratch) {
  DeviceScope scope(device);
  auto stream = static_cast<cudaStream_t>(stream_ptr);
  const size_t rank = plan.target.size();
  const size_t es = plan.elem_size;
  std::vector<int64_t> meta;
  meta.reserve(MetaBytes(plan) / sizeof(int64_t));
  meta.push_back(static_cast<int64_t>(rank));
  meta.push_back(static_cast<int64_t>(plan.rows));
  meta.push_back(static_cast<int64_t>(plan.inputs.size()));
  meta.insert(meta.end(), plan.target.begin(), plan.target.end());
  std::vector<Segment> segments;
  int64_t offset = 0;
  for (const auto& t : plan.inputs) {
    meta.push_back(offset);
    meta.insert(meta.end(), t.shape.begin(), t.shape.end());
    const int64_t n = Product(t.shape);
    segments.push_back(Segment{t.data, static_cast<size_t>(n) * es});
    offset += n;
  }
  meta.resize(MetaBytes(plan) / sizeof(int64_t), 0);
  segments.insert(segments.begin(), Segment{reinterpret_cast<const uint8_t*>(meta.data()), MetaBytes(plan)});
  SegmentsToDevice(stream, staging, static_cast<uint8_t*>(scratch), segments);

  const auto* meta_dev = static_cast<const int64_t*>(scratch);
  const uint8_t* packed = static_cast<const uint8_t*>(scratch) + MetaBytes(plan);
  const int64_t row_elems = static_cast<int64_t>(plan.RowElements());
  const int64_t total = row_elems * static_cast<int64_t>(plan.rows);
  if (total > 0) {
    switch (es) {
      case 1: LaunchPad<uint8_t>(stream, dst, packed, meta_dev, total, row_elems, plan.pad_bits); break;
      case 2: LaunchPad<uint16_t>(stream, dst, packed, meta_dev, total, row_elems, plan.pad_bits); break;
      case 4: LaunchPad<uint32_t>(stream, dst, packed, meta_dev, total, row_elems, plan.pad_bits); break;
      default: LaunchPad<uint64_t>(stream, dst, packed, meta_dev, total, row_elems, plan.pad_bits); break;
    }
  }
  Check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
}

double MeasurePinnedBandwidth(int device, size_t bytes, int iterations, bool to_device) {
  DeviceScope scope(device);
  void* host = nullptr;
  void* dev = nullptr;
  cudaStream_t stream = nullptr;
  cudaEvent_t start = nullptr, stop = nullptr;
  double best = 0;
  try {
    Check(cudaHostAlloc(&host, bytes, cudaHostAllocDefault), "cudaHostAlloc");
    std::memset(host, 1, bytes);
    Check(cudaMalloc(&dev, bytes), "cudaMalloc");
    Check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
    Check(cudaEventCreate(&start), "cudaEventCreate");
    Check(cudaEventCreate(&stop), "cudaEventCreate");
    for (int i = 0; i < iterations; ++i) {
      Check(cudaEventRecord(start, stream), "cudaEventRecord");
      if (to_device)
        Check(cudaMemcpyAsync(dev, host, bytes, cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync");
      else
        Check(cudaMemcpyAsync(host, dev, bytes, cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync");
      Check(cudaEventRecord(stop, stream), "cudaEventRecord");
      Check(cudaEventSynchronize(stop), "cudaEventSynchronize");
      float ms = 0;
      Check(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
      if (ms > 0) best = std::max(best, static_cast<double>(bytes) / (ms / 1000.0));
    }
  } catch (...) {
    if (start) cudaEventDestroy(start);
    if (stop) cudaEventDestroy(stop);
    if (stream) cudaStreamDestroy(stream);
    if (dev) cudaFree(dev);
    if (host) cudaFreeHost(host);
    throw;
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  cudaStreamDestroy(stream);
  cudaFree(dev);
  cudaFreeHost(host);
  return best;
}

}  // namespace troupe::gpu
