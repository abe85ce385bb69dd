// Shared by the in-process A/B tools (ab.c, gemm_ab.c): a monotonic clock, symbol lookup that
// exits on failure, and the two builds under comparison loaded side by side.
#pragma once
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *sym(void *lib, const char *name) {
  void *f = dlsym(lib, name);
  if (!f) {
    fprintf(stderr, "%s: %s\n", name, dlerror());
    exit(1);
  }
  return f;
}

// Before timing a build: lets the other build's pool workers, which spin for a while after each
// job (core/thread_pool.cpp), go to sleep, so they do not take the cores from this build's call
// (a 64 x 384 x 384 GEMM read 0.02 of the roof right after the other build's calls).
static void settle(void) {
  const struct timespec t = {0, 5 * 1000 * 1000};
  nanosleep(&t, NULL);
}

// lib[0] = OLD.so, lib[1] = NEW.so (each with its own copy of lowbit's state: RTLD_LOCAL).
static void open_pair(const char *old_path, const char *new_path, void *lib[2]) {
  lib[0] = dlopen(old_path, RTLD_NOW | RTLD_LOCAL);
  lib[1] = dlopen(new_path, RTLD_NOW | RTLD_LOCAL);
  if (!lib[0] || !lib[1]) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    exit(1);
  }
}
