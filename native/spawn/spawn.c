// exec's stage start without Node's fork: as glibc's posix_spawn (clone(CLONE_VM | CLONE_VFORK), no copy of this
// process's page tables; child.c, which also gives the stage a parent-death signal), with the child set up as libuv
// sets up Node's (see README "Why a native spawn").
//
//   spawn(file, args, env, fds, onExit) -> pid, or -errno when the program could not be started
//     file: looked up in the PATH of `env` when it has no '/' (as execvp, and so libuv, do); ENOEXEC: run by /bin/sh
//     args: the whole argv (args[0] included); env: "NAME=value" strings; fds: the child's fds 0, 1 and 2
//     onExit(): called on the main thread once the child has exited; the child is left a zombie until reap()
//   reap(pid) -> exit code (>= 0), or -signal number
//   pipe() -> [read end, write end] of a new pipe, both close-on-exec, or -errno
//
// The child: signals 1-31 at their default action and none blocked (Node ignores SIGPIPE; libuv resets both), fds 0-2
// from `fds` in blocking mode (libuv clears O_NONBLOCK on them), every other fd closed on exec (Node opens them all
// O_CLOEXEC), this process's group, session and working folder; SIGTERM when exec dies (kill -9) before it ends.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <node_api.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include "child.h"
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *utf8(napi_env env, napi_value v) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (s && napi_get_value_string_utf8(env, v, s, len + 1, &len) != napi_ok) { free(s); return NULL; }
  return s;
}

static void free_all(char **a) {
  if (!a) return;
  for (char **p = a; *p; p++) free(*p);
  free(a);
}

/** The strings of JS array `arr`, NULL-terminated; NULL when one is not a string (or no memory). */
static char **utf8_all(napi_env env, napi_value arr) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return NULL;
  char **out = calloc((size_t)n + 1, sizeof(char *));
  if (!out) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    if (napi_get_element(env, arr, i, &v) != napi_ok || !(out[i] = utf8(env, v))) { free_all(out); return NULL; }
  }
  return out;
}

static int spawn_file(pid_t *pid, const char *path, char *const argv[], char *const envp[], const int fds[3]) {
  int rc = cpw_spawn_child(pid, path, argv, envp, fds);
  if (rc != ENOEXEC) return rc;
  // A file the kernel cannot run (a script without #!): execvp runs it with /bin/sh, and so did Node's spawn.
  size_t n = 0;
  while (argv[n]) n++;
  char **sh = calloc(n + 2, sizeof(char *));
  if (!sh) return ENOMEM;
  sh[0] = "/bin/sh";
  sh[1] = (char *)path;
  for (size_t i = 1; i < n; i++) sh[i + 1] = argv[i];
  rc = cpw_spawn_child(pid, "/bin/sh", sh, envp, fds);
  free(sh);
  return rc;
}

/** execvp's lookup (glibc's rules), in the PATH of the child's environment. */
static int spawn_lookup(pid_t *pid, const char *file, char *const argv[], char *const envp[], const int fds[3]) {
  if (!*file) return ENOENT;
  if (strchr(file, '/')) return spawn_file(pid, file, argv, envp, fds);
  size_t flen = strnlen(file, NAME_MAX + 1);
  if (flen > NAME_MAX) return ENAMETOOLONG;
  const char *path = NULL;
  for (char *const *e = envp; *e; e++) if (!strncmp(*e, "PATH=", 5)) { path = *e + 5; break; }
  if (!path) path = "/bin:/usr/bin";
  int denied = 0;
  for (const char *p = path;; p++) {
    const char *end = strchrnul(p, ':');
    size_t dlen = (size_t)(end - p);
    // An entry no path can be under (PATH_MAX or longer): skipped, as execvp does, never the end of the lookup.
    if (dlen >= PATH_MAX) {
      if (!*end) break;
      p = end;
      continue;
    }
    char *full = malloc(dlen + flen + 2);
    if (!full) return ENOMEM;
    // An empty entry is the working folder: the bare name.
    if (dlen) { memcpy(full, p, dlen); full[dlen] = '/'; memcpy(full + dlen + 1, file, flen + 1); }
    else memcpy(full, file, flen + 1);
    // Looked at before it is tried: each try is a clone of this process (cheap, but ~10 of them for a PATH's misses).
    int rc = access(full, F_OK) ? errno : spawn_file(pid, full, argv, envp, fds);
    free(full);
    switch (rc) {
      case 0: return 0;
      case EACCES: denied = 1; break;
      case ENOENT: case ESTALE: case ENOTDIR: case ENODEV: case ETIMEDOUT: break;
      default: return rc;
    }
    if (!*end) break;
    p = end;
  }
  return denied ? EACCES : ENOENT;
}

typedef struct {
  sem_t started;
  pid_t pid; // 0: the spawn failed
  napi_threadsafe_function on_exit;
} waiter_t;

/** Waits for the child's exit without reaping it (WNOWAIT: its pid stays ours, so no kill reaches another process). */
static void *wait_child(void *arg) {
  waiter_t *w = arg;
  while (sem_wait(&w->started) && errno == EINTR) {}
  if (w->pid > 0) {
    siginfo_t si;
    while (waitid(P_PID, (id_t)w->pid, &si, WEXITED | WNOWAIT) && errno == EINTR) {}
    napi_call_threadsafe_function(w->on_exit, NULL, napi_tsfn_blocking);
  }
  napi_release_threadsafe_function(w->on_exit, napi_tsfn_release);
  sem_destroy(&w->started);
  free(w);
  return NULL;
}

static void call_on_exit(napi_env env, napi_value cb, void *context, void *data) {
  (void)context;
  (void)data;
  if (!env || !cb) return;
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  napi_call_function(env, undefined, cb, 0, NULL, NULL);
}

static napi_value number(napi_env env, int64_t n) {
  napi_value v;
  napi_create_int64(env, n, &v);
  return v;
}

static napi_value Spawn(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value args[5];
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc < 5) {
    napi_throw_type_error(env, NULL, "spawn(file, args, env, fds, onExit)");
    return NULL;
  }
  int fds[3];
  for (uint32_t i = 0; i < 3; i++) {
    napi_value v;
    // Each is the child's own number (inherited) or one above 2 (a pipe): no dup2 below overwrites a later one's source.
    if (napi_get_element(env, args[3], i, &v) != napi_ok || napi_get_value_int32(env, v, &fds[i]) != napi_ok || (fds[i] != (int)i && fds[i] < 3)) {
      napi_throw_type_error(env, NULL, "fds: 0, 1 and 2, each its own number or one above 2");
      return NULL;
    }
  }
  char *file = utf8(env, args[0]);
  char **argv = utf8_all(env, args[1]);
  char **envp = utf8_all(env, args[2]);
  if (!file || !argv || !argv[0] || !envp) {
    free(file);
    free_all(argv);
    free_all(envp);
    napi_throw_type_error(env, NULL, "file, args and env: strings");
    return NULL;
  }
  int rc;
  waiter_t *w = calloc(1, sizeof *w);
  if (!w) rc = ENOMEM;
  else if (sem_init(&w->started, 0, 0)) { rc = errno; free(w); w = NULL; }
  else {
    napi_value name;
    napi_create_string_utf8(env, "cpw-vault stage", NAPI_AUTO_LENGTH, &name);
    rc = napi_create_threadsafe_function(env, args[4], NULL, name, 0, 1, NULL, NULL, NULL, call_on_exit, &w->on_exit) == napi_ok ? 0 : ENOMEM;
    if (rc) { sem_destroy(&w->started); free(w); w = NULL; }
  }
  pthread_t thread;
  if (w) {
    // The waiter blocks every signal: those sent to exec are handled by Node's main thread, never lost in waitid.
    sigset_t all, before;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &before);
    pthread_attr_t ta;
    pthread_attr_init(&ta);
    pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&ta, 64 * 1024);
    rc = pthread_create(&thread, &ta, wait_child, w);
    pthread_attr_destroy(&ta);
    pthread_sigmask(SIG_SETMASK, &before, NULL);
    if (rc) {
      napi_release_threadsafe_function(w->on_exit, napi_tsfn_abort);
      sem_destroy(&w->started);
      free(w);
      w = NULL;
    }
  }
  pid_t pid = 0;
  if (w) {
    // Blocking, as libuv makes them (the same open file: ours too).
    for (int i = 0; i < 3; i++) {
      int flags = fcntl(fds[i], F_GETFL);
      if (flags >= 0 && (flags & O_NONBLOCK)) fcntl(fds[i], F_SETFL, flags & ~O_NONBLOCK);
    }
    rc = spawn_lookup(&pid, file, argv, envp, fds);
    w->pid = rc ? 0 : pid;
    sem_post(&w->started);
  }
  free(file);
  free_all(argv);
  free_all(envp);
  return number(env, rc ? -(int64_t)rc : pid);
}

static napi_value Reap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  int32_t pid;
  if (napi_get_cb_info(env, info, &argc, &arg, NULL, NULL) != napi_ok || argc < 1 || napi_get_value_int32(env, arg, &pid) != napi_ok || pid <= 0) {
    napi_throw_type_error(env, NULL, "reap(pid)");
    return NULL;
  }
  int status;
  pid_t r;
  while ((r = waitpid(pid, &status, WNOHANG)) < 0 && errno == EINTR) {}
  if (r != pid) {
    napi_throw_error(env, NULL, "reap: the child has not exited");
    return NULL;
  }
  return number(env, WIFSIGNALED(status) ? -(int64_t)WTERMSIG(status) : WEXITSTATUS(status));
}

/** A pipe for a masked stream: a real one, which a stage can open again by name (/dev/stdout), unlike Node's socket pairs. */
static napi_value Pipe(napi_env env, napi_callback_info info) {
  (void)info;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC)) return number(env, -(int64_t)errno);
  napi_value out;
  napi_create_array_with_length(env, 2, &out);
  napi_set_element(env, out, 0, number(env, fds[0]));
  napi_set_element(env, out, 1, number(env, fds[1]));
  return out;
}

/** socket.c: the keychain's D-Bus socket. */
void cpw_socket_init(napi_env env, napi_value exports);

NAPI_MODULE_INIT() {
  napi_value f;
  napi_create_function(env, "spawn", NAPI_AUTO_LENGTH, Spawn, NULL, &f);
  napi_set_named_property(env, exports, "spawn", f);
  napi_create_function(env, "reap", NAPI_AUTO_LENGTH, Reap, NULL, &f);
  napi_set_named_property(env, exports, "reap", f);
  napi_create_function(env, "pipe", NAPI_AUTO_LENGTH, Pipe, NULL, &f);
  napi_set_named_property(env, exports, "pipe", f);
  cpw_socket_init(env, exports);
  return exports;
}
