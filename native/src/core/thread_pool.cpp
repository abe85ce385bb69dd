#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "error.h"

#if defined(__x86_64__)
#  include <immintrin.h>
#  define LB_PAUSE() _mm_pause()
#else
#  define LB_PAUSE() ((void)0)
#endif

namespace lb {
namespace {

thread_local bool inside_job = false;

int default_threads() {
  if (const char *env = std::getenv("LOWBIT_NUM_THREADS")) {
    const int n = std::atoi(env);
    if (n > 0) return n;
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

// One job at a time (jobs use every core anyway); submitters queue on `submit_`.
class Pool {
 public:
  explicit Pool(int threads) { start(threads); }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int threads) {
    std::lock_guard<std::mutex> submit(submit_);
    stop_all();
    start(threads);
  }

  void run(int64_t n, int64_t chunk, const std::function<void(int64_t, int64_t)> &body) {
    std::lock_guard<std::mutex> submit(submit_);
    body_ = &body;
    n_ = n;
    chunk_ = chunk;
    next_.store(0, std::memory_order_relaxed);
    error_ = nullptr;
    busy_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    work();
    // Workers finish their last chunk quickly; spin, then sleep.
    for (int spins = 0; busy_.load(std::memory_order_acquire) != 0; ++spins) {
      if (spins < 20000) {
        LB_PAUSE();
      } else {
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [&] { return busy_.load(std::memory_order_acquire) == 0; });
      }
    }
    body_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  // Called with submit_ held (or from the constructor), so no job starts meanwhile. Workers
  // get the current generation here: read later, in the new thread, it could already be the
  // first job's, and that job would never be picked up.
  void start(int threads) {
    stopping_ = false;
    const uint64_t generation = generation_.load(std::memory_order_acquire);
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, generation] { loop(generation); });
  }

  void stop_all() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    for (auto &t : workers_) t.join();
    workers_.clear();
  }

  void work() {
    inside_job = true;
    for (;;) {
      const int64_t begin = next_.fetch_add(chunk_, std::memory_order_relaxed);
      if (begin >= n_) break;
      try {
        (*body_)(begin, std::min(n_, begin + chunk_));
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
      }
    }
    inside_job = false;
  }

  void loop(uint64_t seen) {
    for (;;) {
      // Spin briefly (a kernel often follows another), then sleep until the next job.
      for (int spins = 0; spins < 20000 && generation_.load(std::memory_order_acquire) == seen; ++spins) LB_PAUSE();
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        seen = generation_.load(std::memory_order_acquire);
        if (stopping_) return;
      }
      work();
      if (busy_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(mutex_);
        done_.notify_one();
      }
    }
  }

  std::mutex submit_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> busy_{0};
  std::atomic<int64_t> next_{0};
  const std::function<void(int64_t, int64_t)> *body_ = nullptr;
  int64_t n_ = 0, chunk_ = 1;
  std::exception_ptr error_;
  bool stopping_ = false;
};

// Leaked on purpose: joining workers from a static destructor during exit() can deadlock.
Pool &pool() {
  static Pool *p = new Pool(default_threads());
  return *p;
}

}  // namespace

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)> &body) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  Pool &p = pool();
  const int threads = p.size();
  if (inside_job || threads == 1 || n < 2 * grain) {
    body(0, n);
    return;
  }
  // About four chunks per thread balances uneven progress without much scheduling cost.
  const int64_t chunk = std::max(grain, (n + 4 * threads - 1) / (4 * threads));
  p.run(n, chunk, body);
}

int num_threads() { return pool().size(); }

void set_num_threads(int n) { pool().resize(n <= 0 ? default_threads() : n); }

double sum_over_threads(const std::function<double()> &f) {
  const int threads = num_threads();
  std::vector<double> rate(static_cast<size_t>(threads), 0.0);
  parallel_for(threads, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) rate[static_cast<size_t>(t)] = f();
  });
  double total = 0.0;
  for (double r : rate) total += r;
  return total;
}

}  // namespace lb

extern "C" {

LB_API lb_status lb_set_num_threads(int32_t n) {
  if (n < 0) return lb::fail(LB_ERR_INVALID_ARGUMENT, "lb_set_num_threads: n must be >= 0 (0 = one per hardware thread), got %d", n);
  if (n > 4096) return lb::fail(LB_ERR_INVALID_ARGUMENT, "lb_set_num_threads: n = %d is more than 4096", n);
  return lb::guard("lb_set_num_threads", [&] {
    lb::set_num_threads(n);
    return LB_OK;
  });
}

LB_API int32_t lb_num_threads(void) { return lb::num_threads(); }

}  // extern "C"
