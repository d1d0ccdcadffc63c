#include "batch_copy.h"

#include <cstring>

namespace troupe {

int64_t Product(const std::vector<int64_t>& dims, size_t from) {
  int64_t p = 1;
  for (size_t i = from; i < dims.size(); ++i) p *= dims[i];
  return p;
}

size_t GatherPlan::RowElements() const { return static_cast<size_t>(Product(target)); }

size_t GatherPlan::PackedBytes() const {
  size_t total = 0;
  for (const auto& t : inputs) total += static_cast<size_t>(Product(t.shape)) * elem_size;
  return total;
}

void FillPattern(uint8_t* dst, size_t count, size_t elem_size, uint64_t bits) {
  if (count == 0) return;
  if (bits == 0) {
    std::memset(dst, 0, count * elem_size);
    return;
  }
  if (elem_size == 1) {
    std::memset(dst, static_cast<int>(bits & 0xff), count);
    return;
  }
  // Write one element, then double the filled region with memcpy.
  std::memcpy(dst, &bits, elem_size);  // little-endian: low bytes first
  size_t filled = 1;
  while (filled < count) {
    size_t n = filled < count - filled ? filled : count - filled;
    std::memcpy(dst + filled * elem_size, dst, n * elem_size);
    filled += n;
  }
}

namespace {

// The innermost dimension where shape and target differ, or -1 when they are equal.
int LastDiffering(const std::vector<int64_t>& shape, const std::vector<int64_t>& target) {
  for (int d = static_cast<int>(target.size()) - 1; d >= 0; --d)
    if (shape[d] != target[d]) return d;
  return -1;
}

struct PadWalk {
  const std::vector<int64_t>& shape;
  const std::vector<int64_t>& target;
  std::vector<int64_t> dst_stride;  // elements
  std::vector<int64_t> src_stride;
  int last;
  size_t es;
  uint64_t bits;

  void Run(uint8_t* dst, const uint8_t* src, int level) const {
    if (level == last) {
      const int64_t inner = dst_stride[level];  // equal to src_stride[level] below `last`
      std::memcpy(dst, src, static_cast<size_t>(shape[level] * inner) * es);
      FillPattern(dst + shape[level] * inner * es, static_cast<size_t>((target[level] - shape[level]) * inner), es,
                  bits);
      return;
    }
    for (int64_t i = 0; i < shape[level]; ++i)
      Run(dst + i * dst_stride[level] * es, src + i * src_stride[level] * es, level + 1);
    FillPattern(dst + shape[level] * dst_stride[level] * es,
                static_cast<size_t>((target[level] - shape[level]) * dst_stride[level]), es, bits);
  }
};

std::vector<int64_t> Strides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (int d = static_cast<int>(dims.size()) - 2; d >= 0; --d) s[d] = s[d + 1] * dims[d + 1];
  return s;
}

}  // namespace

void GatherHost(const GatherPlan& plan, uint8_t* dst) {
  const size_t es = plan.elem_size;
  const size_t row_bytes = plan.RowElements() * es;
  const auto dst_stride = Strides(plan.target);
  for (size_t b = 0; b < plan.inputs.size(); ++b) {
    const HostTensor& t = plan.inputs[b];
    uint8_t* row = dst + b * row_bytes;
    const int last = LastDiffering(t.shape, plan.target);
    if (last < 0) {
      std::memcpy(row, t.data, row_bytes);
      continue;
    }
    PadWalk walk{t.shape, plan.target, dst_stride, Strides(t.shape), last, es, plan.pad_bits};
    walk.Run(row, t.data, 0);
  }
  if (plan.rows > plan.inputs.size())
    FillPattern(dst + plan.inputs.size() * row_bytes, (plan.rows - plan.inputs.size()) * plan.RowElements(), es,
                plan.pad_bits);
}

namespace {

void CropWalk(const uint8_t* src, uint8_t* dst, const std::vector<int64_t>& src_stride,
              const std::vector<int64_t>& dst_stride, const std::vector<int64_t>& crop, int last, int level,
              size_t es) {
  if (level == last) {
    std::memcpy(dst, src, static_cast<size_t>(crop[level] * dst_stride[level]) * es);
    return;
  }
  for (int64_t i = 0; i < crop[level]; ++i)
    CropWalk(src + i * src_stride[level] * es, dst + i * dst_stride[level] * es, src_stride, dst_stride, crop, last,
             level + 1, es);
}

}  // namespace

void CropCopy(const uint8_t* row_src, const std::vector<int64_t>& row, const std::vector<int64_t>& crop,
              size_t elem_size, uint8_t* dst) {
  const int last = LastDiffering(crop, row);
  if (last < 0) {
    std::memcpy(dst, row_src, static_cast<size_t>(Product(row)) * elem_size);
    return;
  }
  CropWalk(row_src, dst, Strides(row), Strides(crop), crop, last, 0, elem_size);
}

}  // namespace troupe
