#include "range_allocator.h"

#include <iterator>

namespace troupe {

RangeAllocator::RangeAllocator(size_t size, size_t alignment) : size_(size), alignment_(alignment) {
  if (size_ > 0) free_[0] = size_;
}

std::optional<size_t> RangeAllocator::Allocate(size_t bytes) {
  const size_t need = Aligned(bytes == 0 ? 1 : bytes);
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    if (it->second < need) continue;
    const size_t offset = it->first, length = it->second;
    free_.erase(it);
    if (length > need) free_[offset + need] = length - need;
    used_[offset] = need;
    used_bytes_ += need;
    return offset;
  }
  return std::nullopt;
}

void RangeAllocator::Free(size_t offset) {
  auto it = used_.find(offset);
  if (it == used_.end()) return;
  size_t start = offset, length = it->second;
  used_bytes_ -= length;
  used_.erase(it);
  auto next = free_.lower_bound(start);
  if (next != free_.end() && next->first == start + length) {
    length += next->second;
    next = free_.erase(next);
  }
  if (next != free_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == start) {
      start = prev->first;
      length += prev->second;
      free_.erase(prev);
    }
  }
  free_[start] = length;
}

size_t RangeAllocator::LargestFree() const {
  size_t best = 0;
  for (const auto& [offset, length] : free_)
    if (length > best) best = length;
  return best;
}

}  // namespace troupe
