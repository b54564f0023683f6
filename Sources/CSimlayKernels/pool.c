// A small persistent worker pool for the engine's parallel loops. Dispatch's concurrentPerform wakes its
// workers through the kernel for every call (tens of microseconds); a forward pass makes ~100 such calls of
// 50-500 us each, so the hand-off cost is a large share. Here workers spin briefly on a generation counter
// after each job (the next kernel usually follows within microseconds) and only then sleep on a condition
// variable.
#include "simlay_kernels.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define MAX_WORKERS 64
#define SPIN_ITERATIONS 100000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;   // serialises callers and pool growth
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int started = 0;                 // workers created (each serves index 1 + its number)
static atomic_uint generation = 0;      // bumped for every job
static atomic_int pending = 0;          // workers still running the current job
static void (*job_fn)(void *, int);
static void *job_ctx;
static unsigned created_at[MAX_WORKERS];
static int job_count;                   // indices of the current job; every worker takes part in every job

static void *worker_main(void *arg) {
  const int me = (int)(intptr_t)arg;
  // Workers are created (under `lock`) before the job that needed them is published, so the generation
  // they must wait past is the one current at creation, stored by the creator in `created_at`.
  unsigned seen = created_at[me];
  for (;;) {
    unsigned now;
    int spins = 0;
    while ((now = atomic_load_explicit(&generation, memory_order_acquire)) == seen) {
      if (++spins < SPIN_ITERATIONS) {
#if defined(__x86_64__)
        __builtin_ia32_pause();
#endif
        continue;
      }
      pthread_mutex_lock(&sleep_lock);
      while ((now = atomic_load(&generation)) == seen) pthread_cond_wait(&wake, &sleep_lock);
      pthread_mutex_unlock(&sleep_lock);
      break;
    }
    seen = now;
    // Every worker answers every job (those beyond its count do nothing), so the caller's wait for
    // `pending` guarantees nobody still reads the job's fields when the next job overwrites them.
    if (me + 1 < job_count) job_fn(job_ctx, me + 1);
    atomic_fetch_sub_explicit(&pending, 1, memory_order_release);
  }
  return NULL;
}

void simlay_parallel_for(int count, void (*fn)(void *ctx, int index), void *ctx) {
  if (count <= 1) {
    if (count == 1) fn(ctx, 0);
    return;
  }
  // Another job is running (a concurrent forward pass, or a nested loop): run this one inline rather than wait.
  if (pthread_mutex_trylock(&lock) != 0) {
    for (int i = 0; i < count; i++) fn(ctx, i);
    return;
  }
  while (started < count - 1 && started < MAX_WORKERS) {
    pthread_t t;
    created_at[started] = atomic_load(&generation);
    if (pthread_create(&t, NULL, worker_main, (void *)(intptr_t)started) != 0) break;
    pthread_detach(t);
    started++;
  }
  const int helpers = started < count - 1 ? started : count - 1;
  job_fn = fn;
  job_ctx = ctx;
  job_count = helpers + 1;
  atomic_store(&pending, started);
  pthread_mutex_lock(&sleep_lock);
  atomic_fetch_add_explicit(&generation, 1, memory_order_release);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&sleep_lock);
  fn(ctx, 0);
  // Indices the pool could not cover (thread creation failed) run here.
  for (int i = helpers + 1; i < count; i++) fn(ctx, i);
  while (atomic_load_explicit(&pending, memory_order_acquire) > 0) {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#else
    sched_yield();
#endif
  }
  pthread_mutex_unlock(&lock);
}
