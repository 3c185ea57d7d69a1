/*
 * pier-malloc: a Node addon giving pierd two glibc malloc controls JavaScript
 * has no way to reach.
 *
 *   trim()                  malloc_trim(0): free pages of every arena go back to
 *                           the kernel. pierd calls it when it goes idle.
 *   setTrimThreshold(bytes) mallopt(M_TRIM_THRESHOLD): how much free memory the
 *                           top of an arena may hold before free() returns it.
 *
 * Why: with glibc's 128 kB threshold a busy pierd hands the top of its heaps
 * back after nearly every burst of buffers and faults the same pages in again
 * on the next, and a page fault on this kind of VM costs more than the copy it
 * serves (bench/README.md). A high threshold keeps that memory while pierd
 * works; trim() returns it once pierd is idle, so idle RSS does not pay.
 *
 * Built by `npm run build` against the pinned Node's headers (N-API, so any
 * Node with that ABI loads it). Nothing else in pierd depends on it: without
 * the file pierd runs with glibc's defaults.
 */
#include <limits.h>
#include <malloc.h>
#include <node_api.h>

static napi_value trim(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  napi_get_boolean(env, malloc_trim(0) == 1, &r);
  return r;
}

static napi_value set_trim_threshold(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t n = -1;
  napi_value r;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int64(env, argv[0], &n) != napi_ok || n < 0 || n > INT_MAX) {
    napi_throw_range_error(env, NULL, "setTrimThreshold: a byte count from 0 to 2147483647");
    return NULL;
  }
  napi_get_boolean(env, mallopt(M_TRIM_THRESHOLD, (int)n) == 1, &r);
  return r;
}

NAPI_MODULE_INIT() {
  napi_value f;
  napi_create_function(env, "trim", NAPI_AUTO_LENGTH, trim, NULL, &f);
  napi_set_named_property(env, exports, "trim", f);
  napi_create_function(env, "setTrimThreshold", NAPI_AUTO_LENGTH, set_trim_threshold, NULL, &f);
  napi_set_named_property(env, exports, "setTrimThreshold", f);
  return exports;
}
