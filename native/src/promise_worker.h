// Runs work on the libuv thread pool and settles a promise with the result. The
// JS values the work reads are held by references until it ends; `finally`
// runs on the JS thread whatever happened.
#pragma once

#include <napi.h>

#include <functional>
#include <optional>
#include <vector>

#include "common.h"

namespace troupe {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;
  using Done = std::function<Napi::Value(Napi::Env)>;

  static Napi::Promise Start(Napi::Env env, Work work, Done done, std::function<void()> finally,
                             std::vector<Napi::Reference<Napi::Value>> keep) {
    auto* worker = new PromiseWorker(env, std::move(work), std::move(done), std::move(finally), std::move(keep));
    Napi::Promise promise = worker->deferred_.Promise();
    worker->Queue();
    return promise;
  }

  ~PromiseWorker() override {
    if (finally_) finally_();
  }

 protected:
  void Execute() override {
    try {
      work_();
    } catch (const NativeError& e) {
      error_ = e;
      SetError(e.what());
    } catch (const std::exception& e) {
      error_ = NativeError("TROUPE_ERR_NATIVE_INTERNAL", std::string("native addon failure: ") + e.what());
      SetError(e.what());
    } catch (...) {
      error_ = NativeError("TROUPE_ERR_NATIVE_INTERNAL", "native addon failure of unknown kind");
      SetError("unknown");
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    try {
      deferred_.Resolve(done_ ? done_(env) : env.Undefined());
    } catch (const NativeError& e) {
      deferred_.Reject(ToJsError(env, e).Value());
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (const std::exception& e) {
      deferred_.Reject(ToJsError(env, "TROUPE_ERR_NATIVE_INTERNAL", e.what()).Value());
    }
  }

  void OnError(const Napi::Error&) override {
    Napi::HandleScope scope(Env());
    deferred_.Reject(ToJsError(Env(), error_.value_or(NativeError("TROUPE_ERR_NATIVE_INTERNAL", "unknown"))).Value());
  }

 private:
  PromiseWorker(Napi::Env env, Work work, Done done, std::function<void()> finally,
                std::vector<Napi::Reference<Napi::Value>> keep)
      : Napi::AsyncWorker(env, "troupe:native"),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        done_(std::move(done)),
        finally_(std::move(finally)),
        keep_(std::move(keep)) {}

  Napi::Promise::Deferred deferred_;
  Work work_;
  Done done_;
  std::function<void()> finally_;
  std::vector<Napi::Reference<Napi::Value>> keep_;
  std::optional<NativeError> error_;
};

}  // namespace troupe
