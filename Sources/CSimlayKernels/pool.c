// A small persistent worker pool for the engine's parallel loops, built to degrade gracefully when the
// machine is busy. The previous pool gave every worker a fixed index and made the caller wait for all of
// them: one descheduled worker held the whole loop for a scheduler quantum (measured 12-13x slower than
// ONNX Runtime at 2 threads with other work on the machine). Here:
// - a loop is `count` chunks claimed one at a time through one atomic word, by the caller as well as the
//   workers, so a worker that is slow to wake simply claims nothing and the caller does its share;
// - the caller waits only for chunks that were claimed and are still running, never for a worker to arrive;
// - idle workers spin for up to 1 ms, then sleep on a condition variable. Why 1 ms: a forward pass has
//   gaps of 50-500 us between parallel loops (single-threaded steps), and a worker that slept in one
//   wakes through the hypervisor on a VM; with a 30 us spin, 2 threads were bimodal (11.5 or 22 ms a pass
//   of EfficientNet-Lite0, the latter no faster than 1 thread), with 1 ms they stay at 11.4;
// - when loops keep waiting on chunks whose thread was descheduled (another process wants the cores), the
//   pool runs loops on the caller alone for a while (see `contended`), then tries the workers again:
//   threads that wait on each other on an oversubscribed machine are slower than one thread.
#include "simlay_kernels.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 64
#define SPIN_NANOSECONDS 30000
#define WORKER_SPIN_NANOSECONDS 1000000
// Contention: over each window of this much loop time, if the workers made the loops no faster than the
// caller alone would have been (see contended), loops run inline for a while, then the workers are tried
// again. The while doubles from FALLBACK_MIN to FALLBACK_MAX as long as the tries fail (other work keeps
// the cores: trying costs a window of slow loops, so try rarely) and resets when one succeeds (a blip:
// come back soon). Why: with one busy process beside a 2-thread pass of EfficientNet-Lite0 the loops took
// 1.6x what the caller alone would have (descheduled workers hold chunks the caller then waits for),
// and the pass was 28.9 ms against 21.4 ms at 1 thread. Why the first while is short (50 ms): a VM's
// vCPU stolen by the host for a moment looks the same, and one run in six of a quiet 20-pass benchmark
// (2 threads, 7.6 ms a pass) then spent 200 ms, all of it, on one thread (14.2 ms median).
#define WINDOW_NANOSECONDS 10000000
#define FALLBACK_MIN_NANOSECONDS 50000000
#define FALLBACK_MAX_NANOSECONDS 2000000000

// The claim word: generation (32 bits) | chunk count (16) | next chunk (16). Tagging the counter with the
// generation and count means a worker still holding an old job's view can never claim a chunk of a newer
// job (its compare-and-swap fails), and a successful claim of chunk i < count proves the job is still live
// (the caller is waiting for chunk i), so the job's fields read after the claim are the right ones.
static _Atomic uint64_t claim = 0;
// Helpers admitted to the current job: generation (32) | admitted (32). Caps the helpers at threads - 1.
static _Atomic uint64_t admission = 0;
static atomic_int finished = 0;           // chunks of the current job that have completed
static atomic_int caller_sleeping = 0;    // the caller blocks on `done_cond` once it has spun
static atomic_int sleepers = 0;           // workers blocked on `wake`
static atomic_int stalls = 0;             // test hook: stalls performed (see simlay_pool_stall_count)

static void (*job_fn)(void *, int);
static void *job_ctx;
static atomic_int job_helpers;            // workers allowed to join (threads - 1)
static int job_stall_us;                  // test hook: the first chunk a worker claims sleeps this long
static atomic_int job_stall_armed = 0;

static pthread_mutex_t callers = PTHREAD_MUTEX_INITIALIZER;  // one job at a time; guards pool growth
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static int started = 0;
// Guarded by `callers`: the contention window and until when loops run inline.
static uint64_t window_wall = 0, window_alone = 0, inline_until = 0, backoff = 0;
static int strikes = 0;  // windows in a row in which the workers saved nothing, before the first fallback
static atomic_int fallbacks = 0;          // times the pool fell back to the caller alone
static atomic_llong chunks_total = 0, chunks_by_workers = 0;  // for simlay_pool_worker_share
static _Thread_local int is_worker = 0;

static inline void cpu_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static inline uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/// This thread's CPU time: what the caller's chunks cost without the time it was descheduled.
static inline uint64_t thread_cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint32_t generation_of(uint64_t word) { return (uint32_t)(word >> 32); }

/// Claims chunks of generation `gen` until none is left; returns after the last one it ran, with how many
/// it ran.
static int run_chunks(uint32_t gen) {
  uint64_t word = atomic_load_explicit(&claim, memory_order_acquire);
  for (int ran = 0;; ran++) {
    const uint32_t count = (uint32_t)(word >> 16) & 0xffff, next = (uint32_t)word & 0xffff;
    if (generation_of(word) != gen || next >= count) return ran;
    if (!atomic_compare_exchange_weak_explicit(&claim, &word, word + 1, memory_order_acq_rel, memory_order_acquire)) {
      ran--;
      continue;
    }
    if (is_worker && job_stall_us > 0 && atomic_exchange(&job_stall_armed, 0)) {
      atomic_fetch_add(&stalls, 1);
      usleep((useconds_t)job_stall_us);
    }
    job_fn(job_ctx, (int)next);
    if (is_worker) atomic_fetch_add_explicit(&chunks_by_workers, 1, memory_order_relaxed);
    // seq_cst with the load of caller_sleeping (the caller stores it, then reads `finished`): no lost wake-up.
    if (atomic_fetch_add(&finished, 1) + 1 == (int)count &&
        atomic_load(&caller_sleeping)) {
      pthread_mutex_lock(&sleep_lock);
      pthread_cond_broadcast(&done_cond);
      pthread_mutex_unlock(&sleep_lock);
    }
    word = atomic_load_explicit(&claim, memory_order_acquire);
  }
}

/// Joins generation `gen` if fewer than the job's helper count have joined.
static int admit(uint32_t gen) {
  uint64_t word = atomic_load_explicit(&admission, memory_order_acquire);
  for (;;) {
    if (generation_of(word) != gen || (uint32_t)word >= (uint32_t)atomic_load_explicit(&job_helpers, memory_order_relaxed)) return 0;
    if (atomic_compare_exchange_weak_explicit(&admission, &word, word + 1, memory_order_acq_rel, memory_order_acquire))
      return 1;
  }
}

static void *worker_main(void *arg) {
  is_worker = 1;
  uint32_t seen = (uint32_t)(uintptr_t)arg;
  for (;;) {
    uint64_t word = atomic_load_explicit(&claim, memory_order_acquire);
    const uint64_t deadline = now_ns() + WORKER_SPIN_NANOSECONDS;
    for (int spins = 0; generation_of(word) == seen; spins++) {
      cpu_pause();
      if ((spins & 63) != 63) {
        // sched_yield hands the core to another runnable thread, if any (and costs ~0.3 us if none).
        // Why: a spinning worker otherwise takes its share of a core from the caller or from the other
        // processes beside it.
        if ((spins & 15) == 15) sched_yield();
      } else if (now_ns() > deadline) {
        pthread_mutex_lock(&sleep_lock);
        atomic_fetch_add(&sleepers, 1);
        while (generation_of(atomic_load(&claim)) == seen) pthread_cond_wait(&wake, &sleep_lock);
        atomic_fetch_sub(&sleepers, 1);
        pthread_mutex_unlock(&sleep_lock);
      }
      word = atomic_load_explicit(&claim, memory_order_acquire);
    }
    seen = generation_of(word);
    if (admit(seen)) run_chunks(seen);
  }
  return NULL;
}

/// Adds one loop to the contention window; called with `callers`. The caller's `ran` of `count` chunks took
/// `cpu` of its CPU time (not counting while it was descheduled), so one thread running undisturbed would
/// have taken about cpu * count / ran; the loop took end - start. When over a window the workers saved
/// nothing, they only cost.
static void contended(uint64_t start, uint64_t end, uint64_t cpu, int ran, int count) {
  if (ran == 0) return;  // the workers took every chunk: no measure of the caller's pace
  window_wall += end - start;
  window_alone += cpu * (uint64_t)count / (uint64_t)ran;
  if (window_wall < WINDOW_NANOSECONDS) return;
  if (window_alone >= window_wall) {
    backoff = 0;
    strikes = 0;
  } else if (backoff > 0 || ++strikes >= 2) {
    // From the workers' first use, two windows in a row: the first passes of a model (memory touched for
    // the first time, workers waking for the first time) look like contention for a window, and a
    // fallback of FALLBACK_MIN then cost a 15-pass benchmark most of its 2-thread passes.
    backoff = backoff == 0 ? FALLBACK_MIN_NANOSECONDS
              : backoff * 2 < FALLBACK_MAX_NANOSECONDS ? backoff * 2 : FALLBACK_MAX_NANOSECONDS;
    inline_until = end + backoff;
    atomic_fetch_add(&fallbacks, 1);
  }
  window_wall = window_alone = 0;
}

void simlay_parallel_for_threads(int count, int threads, int stall_us, void (*fn)(void *ctx, int index), void *ctx) {
  // Callers pass chunk counts (a few per thread), far below the claim word's 16-bit limit.
  if (count <= 1 || threads <= 1 || count > 0xffff || pthread_mutex_trylock(&callers) != 0) {
    // One thread, or another job is running (a concurrent forward pass): run inline rather than wait.
    for (int i = 0; i < count; i++) fn(ctx, i);
    return;
  }
  const uint64_t start = now_ns();
  if (stall_us == 0 && start < inline_until) {
    // Contended (see contended): the same chunks, in order, on this thread.
    for (int i = 0; i < count; i++) fn(ctx, i);
    pthread_mutex_unlock(&callers);
    return;
  }
  int helpers = threads - 1 < count - 1 ? threads - 1 : count - 1;
  if (helpers > MAX_WORKERS) helpers = MAX_WORKERS;
  const uint32_t gen = generation_of(atomic_load(&claim)) + 1;
  while (started < helpers) {
    pthread_t t;
    // A new worker waits for a generation after the current one: the job published below.
    if (pthread_create(&t, NULL, worker_main, (void *)(uintptr_t)(gen - 1)) != 0) break;
    pthread_detach(t);
    started++;
  }
  job_fn = fn;
  job_ctx = ctx;
  atomic_store_explicit(&job_helpers, helpers, memory_order_relaxed);
  job_stall_us = stall_us;
  atomic_store(&job_stall_armed, stall_us > 0);
  atomic_store(&finished, 0);
  atomic_store(&admission, (uint64_t)gen << 32);
  atomic_store(&claim, ((uint64_t)gen << 32) | ((uint64_t)count << 16));  // seq_cst: ordered before `sleepers`
  if (atomic_load(&sleepers) > 0) {
    pthread_mutex_lock(&sleep_lock);
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&sleep_lock);
  }
  atomic_fetch_add_explicit(&chunks_total, count, memory_order_relaxed);
  const uint64_t cpu0 = thread_cpu_ns();
  const int ran = run_chunks(gen);
  const uint64_t cpu = thread_cpu_ns() - cpu0;
  // Every chunk is claimed; wait for those still running on workers (spin first: they are usually mid-chunk).
  const uint64_t deadline = now_ns() + SPIN_NANOSECONDS;
  for (int spins = 0; atomic_load_explicit(&finished, memory_order_acquire) < count; spins++) {
    cpu_pause();
    if ((spins & 63) == 63 && now_ns() > deadline) {
      pthread_mutex_lock(&sleep_lock);
      atomic_store(&caller_sleeping, 1);
      while (atomic_load(&finished) < count) pthread_cond_wait(&done_cond, &sleep_lock);
      atomic_store(&caller_sleeping, 0);
      pthread_mutex_unlock(&sleep_lock);
    }
  }
  contended(start, now_ns(), cpu, ran, count);
  pthread_mutex_unlock(&callers);
}

void simlay_parallel_for(int count, void (*fn)(void *ctx, int index), void *ctx) {
  simlay_parallel_for_threads(count, count, 0, fn, ctx);
}

int simlay_pool_stall_count(void) { return atomic_load(&stalls); }

int simlay_pool_fallback_count(void) { return atomic_load(&fallbacks); }

double simlay_pool_worker_share(void) {
  const long long total = atomic_load(&chunks_total);
  return total > 0 ? (double)atomic_load(&chunks_by_workers) / (double)total : 0.0;
}
