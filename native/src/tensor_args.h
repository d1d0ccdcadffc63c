// Reads tensors and byte ranges out of JS values, checking everything that would
// make a native copy read or write out of bounds.
#pragma once

#include <napi.h>

#include <vector>

#include "batch_copy.h"
#include "dtype.h"

namespace troupe {

struct ByteRange {
  uint8_t* data = nullptr;
  size_t bytes = 0;
};

// A typed array, DataView or ArrayBuffer (shared or not) as raw bytes; throws on detached buffers.
ByteRange ReadBytes(Napi::Env env, Napi::Value value, const char* what);

std::vector<int64_t> ReadShape(Napi::Value value, const char* what);

// Reads `{ dtype, shape, data }` items, all of one dtype and rank, into a plan
// (target shape and rows come from the caller); keeps the arrays' JS objects in `keep`.
GatherPlan ReadGatherPlan(Napi::Env env, Napi::Array tensors, Napi::Value target, Napi::Value rows,
                          Napi::Value pad_bits, DType* dtype, std::vector<Napi::Reference<Napi::Value>>* keep);

}  // namespace troupe
