// First-fit allocator over offsets of one contiguous range, with coalescing.
// Used twice: a pool carves slots out of its reservation, a slot carves buffers.
// Not thread-safe; owners lock around it.
#pragma once

#include <cstddef>
#include <map>
#include <optional>

namespace troupe {

class RangeAllocator {
 public:
  RangeAllocator(size_t size, size_t alignment);
  std::optional<size_t> Allocate(size_t bytes);  // offset, or nothing when no free run fits
  void Free(size_t offset);
  size_t Aligned(size_t bytes) const { return (bytes + alignment_ - 1) / alignment_ * alignment_; }
  size_t size() const { return size_; }
  size_t used() const { return used_bytes_; }
  size_t LargestFree() const;
  size_t count() const { return used_.size(); }

 private:
  size_t size_;
  size_t alignment_;
  size_t used_bytes_ = 0;
  std::map<size_t, size_t> free_;  // offset -> length
  std::map<size_t, size_t> used_;
};

}  // namespace troupe
