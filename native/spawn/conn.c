// The poll handle behind socket.c's exports: a descriptor watched by libuv on Node's event loop (never a thread of
// Node's pool: exit joins that pool, and a read that never returns held it forever), its events given to JS.
#define _GNU_SOURCE
#include "conn.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/** Bytes read per read(2): the size of Node's own socket reads. */
#define CHUNK 65536
/**
 * Reads per wake-up at most, as libuv's own streams (uv__read): a peer that writes as fast as it is read (a hostile or
 * runaway bus) kept this loop reading until it paused, and no timer, signal or other socket was served meanwhile (a
 * call's deadline seconds late, Ctrl-C unanswered). The poll is level-triggered: what is left wakes it again at once.
 */
#define READS_PER_WAKE 32

static void release(Conn *c) {
  if (--c->owners) return;
  free(c->out);
  free(c);
}

static void on_closed(uv_handle_t *h) {
  release(h->data);
}

/** The JS handle collected (after socketClose, which let go of its listener, or as the environment ends). */
static void on_collected(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  release(data);
}

/** Stops watching the socket and closes it; the memory goes once libuv is done with the handle (and JS with its own). */
static void close_handle(Conn *c) {
  c->closed = 1;
  uv_poll_stop(&c->poll);
  close(c->fd);
  uv_close((uv_handle_t *)&c->poll, on_closed);
}

/**
 * The environment ends with the socket open (a worker thread that stops): closed, as Node closes its own handles (an
 * open one aborted the process: "uv_loop_close() while having open handles"). Its JS references go with the
 * environment.
 */
static void on_env_end(void *data) {
  Conn *c = data;
  if (!c->closed) close_handle(c);
}

void conn_close(Conn *c) {
  if (c->closed) return;
  napi_remove_env_cleanup_hook(c->env, on_env_end, c);
  napi_delete_reference(c->env, c->on_event);
  napi_async_destroy(c->env, c->context);
  close_handle(c);
}

/** Calls onEvent(kind, value) as Node calls a socket's listeners: in a callback scope (then its microtasks run). */
static void emit(Conn *c, int kind, napi_value value) {
  napi_env env = c->env;
  napi_value fn, recv, argv[2], ignored;
  napi_get_reference_value(env, c->on_event, &fn);
  napi_get_global(env, &recv);
  napi_create_int32(env, kind, &argv[0]);
  argv[1] = value;
  if (napi_make_callback(env, c->context, recv, fn, 2, argv, &ignored) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
}

/** onEvent(3, name) for the libuv error `err` (a negative errno). */
static void emit_error(Conn *c, int err) {
  napi_value code;
  napi_create_string_utf8(c->env, uv_err_name(err), NAPI_AUTO_LENGTH, &code);
  emit(c, 3, code);
}

int conn_flush(Conn *c) {
  while (c->out_len) {
    ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : errno;
    memmove(c->out, c->out + n, c->out_len - n);
    c->out_len -= n;
  }
  return 0;
}

static void on_poll(uv_poll_t *h, int status, int events);

void conn_watch(Conn *c) {
  if (c->closed) return;
  int events = (c->paused || c->ended ? 0 : UV_READABLE) | (c->out_len ? UV_WRITABLE : 0);
  if (events != c->events) {
    c->events = events;
    if (events) uv_poll_start(&c->poll, events, on_poll);
    else uv_poll_stop(&c->poll);
  }
}

static void on_poll(uv_poll_t *h, int status, int events) {
  Conn *c = h->data;
  napi_handle_scope scope;
  napi_open_handle_scope(c->env, &scope);
  if (status < 0) {
    emit_error(c, status);
  } else {
    if (events & UV_WRITABLE) {
      int err = conn_flush(c);
      if (err) emit_error(c, -err);
      else conn_watch(c);
    }
    // What the socket holds, a chunk at a time, until it would block (or onEvent closed it meanwhile), then the loop's turn.
    for (int reads = 0; !c->closed && !c->paused && !c->ended && (events & UV_READABLE) && reads < READS_PER_WAKE; reads++) {
      char buf[CHUNK];
      ssize_t n = read(c->fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n < 0) {
        emit_error(c, -errno);
        break;
      }
      if (n == 0) {
        napi_value undef;
        napi_get_undefined(c->env, &undef);
        c->ended = 1;
        conn_watch(c);
        emit(c, 2, undef);
        break;
      }
      napi_value data;
      void *ignored;
      napi_create_buffer_copy(c->env, n, buf, &ignored, &data);
      emit(c, 1, data);
    }
  }
  napi_close_handle_scope(c->env, scope);
}

Conn *conn_of(napi_env env, napi_value v) {
  Conn *c = NULL;
  if (napi_get_value_external(env, v, (void **)&c) != napi_ok || !c) napi_throw_type_error(env, NULL, "not a socket handle");
  return c;
}

napi_value throw_errno(napi_env env, int err) {
  napi_value code, msg, error;
  napi_create_string_utf8(env, uv_err_name(-err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, strerror(err), NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_throw(env, error);
  return NULL;
}

napi_value conn_adopt(napi_env env, int fd, napi_value on_event, const char *resource) {
  Conn *c = calloc(1, sizeof *c);
  uv_loop_t *loop;
  napi_value name, handle;
  if (!c || napi_get_uv_event_loop(env, &loop) != napi_ok) {
    free(c);
    return throw_errno(env, ENOMEM);
  }
  // libuv checks the descriptor can be polled (EPERM for a regular file, EEXIST for one it watches already) before it
  // makes it non-blocking: a refused one is left as it was.
  int err = uv_poll_init(loop, &c->poll, fd);
  if (err) {
    free(c);
    return throw_errno(env, -err);
  }
  c->fd = fd;
  c->env = env;
  c->owners = 2;
  c->poll.data = c;
  napi_create_reference(env, on_event, 1, &c->on_event);
  napi_create_string_utf8(env, resource, NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &c->context);
  napi_add_env_cleanup_hook(env, on_env_end, c);
  conn_watch(c);
  napi_create_external(env, c, on_collected, NULL, &handle);
  return handle;
}
