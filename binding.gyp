# CPU-only build of the same sources for machines without CMake (node-gyp ships
# with npm): `node native/scripts/build.mjs --gyp`. The CUDA backend needs cmake-js.
{
  "targets": [
    {
      "target_name": "troupe_native",
      "sources": [
        "native/src/addon.cc",
        "native/src/alias_array_buffer.cc",
        "native/src/batch_copy.cc",
        "native/src/batch_wrap.cc",
        "native/src/common.cc",
        "native/src/device_pool.cc",
        "native/src/dtype.cc",
        "native/src/gpu_backend_stub.cc",
        "native/src/instance_data.cc",
        "native/src/range_allocator.cc",
        "native/src/slot_wrap.cc",
        "native/src/tensor_args.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++14", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "11.0"
      },
      "msvs_settings": {"VCCLCompilerTool": {"ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17"]}}
    }
  ]
}
