#pragma once

#include <napi.h>

namespace troupe {

void InitAlias(Napi::Env env, Napi::Object exports);

}  // namespace troupe
