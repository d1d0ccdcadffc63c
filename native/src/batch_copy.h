// Host-side batch layout and copies, free of Node-API so that the CPU path, the
// host slots and the CUDA staging code all share one implementation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace troupe {

constexpr size_t kMaxRank = 8;

// One request tensor as raw bytes with its true shape (without the batch axis).
struct HostTensor {
  const uint8_t* data = nullptr;
  std::vector<int64_t> shape;
};

// Where a gather writes: `rows` entries along the new first axis (rows >= inputs;
// extra rows are filled with the pad value), each padded to `target`.
struct GatherPlan {
  size_t elem_size = 4;
  uint64_t pad_bits = 0;  // the pad value's raw bits, low elem_size bytes used
  std::vector<int64_t> target;
  size_t rows = 0;
  std::vector<HostTensor> inputs;

  size_t RowElements() const;
  size_t OutputBytes() const { return RowElements() * rows * elem_size; }
  size_t PackedBytes() const;  // all inputs back to back, unpadded
};

int64_t Product(const std::vector<int64_t>& dims, size_t from = 0);

// Writes the padded batch into dst (OutputBytes() long).
void GatherHost(const GatherPlan& plan, uint8_t* dst);

// Copies one request's region of a padded row (shape `row`) into dst, cropped to `crop`.
void CropCopy(const uint8_t* row_src, const std::vector<int64_t>& row, const std::vector<int64_t>& crop,
              size_t elem_size, uint8_t* dst);

// Fills `count` elements of `elem_size` bytes with the low bytes of `bits`.
void FillPattern(uint8_t* dst, size_t count, size_t elem_size, uint64_t bits);

}  // namespace troupe
