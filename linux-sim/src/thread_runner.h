// SPDX-License-Identifier: BSD-2-Clause
// Internal: a thread of the supervisor's own that runs its callers' jobs one at a time, after a
// setup step that gives it what the callers' threads must not have (the sandbox's network
// namespace, the program's ids) or have given up (reaching into the program, which a thread in
// the program's Landlock domain may no longer do).

#ifndef STOCKADE_LINUX_SIM_SRC_THREAD_RUNNER_H_
#define STOCKADE_LINUX_SIM_SRC_THREAD_RUNNER_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace stockade::linux_sim::detail {

class ThreadRunner {
 public:
  // `setup` runs first, on the thread: 0 or an errno.
  explicit ThreadRunner(std::function<int()> setup)
      : setup_(std::move(setup)), thread_([this] { Work(); }) {}
  ~ThreadRunner() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  ThreadRunner(const ThreadRunner&) = delete;
  ThreadRunner& operator=(const ThreadRunner&) = delete;

  // Runs `job` on the thread and waits for it. Returns 0, or the setup's errno, in which case
  // the job did not run (fail closed). Callers are served one at a time.
  int Run(const std::function<void()>& job) {
    std::lock_guard<std::mutex> caller(callers_);
    std::unique_lock<std::mutex> lock(mutex_);
    job_ = &job;
    wake_.notify_all();
    done_.wait(lock, [&] { return job_ == nullptr; });
    return setup_error_;
  }

 private:
  void Work() {
    const int error = setup_();
    std::unique_lock<std::mutex> lock(mutex_);
    setup_error_ = error;
    while (true) {
      wake_.wait(lock, [&] { return stopping_ || job_ != nullptr; });
      if (stopping_) return;
      if (!setup_error_) (*job_)();
      job_ = nullptr;
      done_.notify_all();
    }
  }

  std::function<int()> setup_;
  std::mutex callers_;  // one job at a time
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void()>* job_ = nullptr;
  int setup_error_ = 0;
  bool stopping_ = false;
  std::thread thread_;  // last: it starts in the constructor
};

}  // namespace stockade::linux_sim::detail

#endif  // STOCKADE_LINUX_SIM_SRC_THREAD_RUNNER_H_
