// JS functions over host memory: gather (sync and off the event loop) and the
// cropping copies of scatter.
#pragma once

#include <napi.h>

namespace troupe {

void InitBatch(Napi::Env env, Napi::Object exports);

}  // namespace troupe
