// The keychain's D-Bus socket without node:net (shared/node/secrets/dbus/native-socket.ts): loading node:net and
// building its first Socket (streams, async hooks) cost a `cpw-vault get` ~4 ms of its ~50, where keytar's floor pays
// none of it. A Unix stream socket watched by libuv's own poll handle on the main thread's loop, so nothing blocks:
// no thread of Node's pool held by a read (exit joins that pool, and a keychain that never answers held it forever).
//
//   socketConnect(address, onEvent) -> handle; throws an Error with .code (errno name) when the connect fails
//     address: a Buffer, the path (or, starting with a NUL byte, a Linux abstract name) as sockaddr_un takes it
//     onEvent(kind, value): kind 1: data (a Buffer), 2: end of stream (the peer closed), 3: error (errno name)
//   socketWrite(handle, buffer) -> 0, or -errno: what the socket takes now is sent, the rest when it can take it
//   socketRef(handle, keep): whether the socket keeps the event loop (and the process) alive
//   socketClose(handle): closes it; no onEvent after this call
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <node_api.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

/** Bytes read per read(2): the size of Node's own socket reads. */
#define CHUNK 65536
/**
 * Reads per wake-up at most, as libuv's own streams (uv__read): a peer that writes as fast as it is read (a hostile or
 * runaway bus) kept this loop reading until it paused, and no timer, signal or other socket was served meanwhile (a
 * call's deadline seconds late, Ctrl-C unanswered). The poll is level-triggered: what is left wakes it again at once.
 */
#define READS_PER_WAKE 32

typedef struct {
  uv_poll_t poll;
  int fd;
  int closed;
  /** Owners of this memory: the poll handle until libuv closed it, and the JS handle until it is collected. */
  int owners;
  int events;
  napi_env env;
  napi_ref on_event;
  napi_async_context context;
  /** What the socket did not take yet, sent when it can (the peer reading slowly). */
  char *out;
  size_t out_len;
} Conn;

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

static void close_conn(Conn *c) {
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

/** Sends what waits in `out`: 0, or an errno. */
static int flush(Conn *c) {
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

static void watch(Conn *c) {
  if (c->closed) return;
  int events = UV_READABLE | (c->out_len ? UV_WRITABLE : 0);
  if (events != c->events) {
    c->events = events;
    uv_poll_start(&c->poll, events, on_poll);
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
      int err = flush(c);
      if (err) emit_error(c, -err);
      else watch(c);
    }
    // What the socket holds, a chunk at a time, until it would block (or onEvent closed it meanwhile), then the loop's turn.
    for (int reads = 0; !c->closed && (events & UV_READABLE) && reads < READS_PER_WAKE; reads++) {
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
        uv_poll_stop(&c->poll);
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

static Conn *conn_of(napi_env env, napi_value v) {
  Conn *c = NULL;
  if (napi_get_value_external(env, v, (void **)&c) != napi_ok || !c) napi_throw_type_error(env, NULL, "not a socket handle");
  return c;
}

static napi_value throw_errno(napi_env env, int err) {
  napi_value code, msg, error;
  napi_create_string_utf8(env, uv_err_name(-err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, strerror(err), NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_throw(env, error);
  return NULL;
}

static napi_value SocketConnect(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  void *address;
  size_t length;
  napi_valuetype type;
  bool is_buffer = false;
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc < 2 || napi_is_buffer(env, args[0], &is_buffer) != napi_ok || !is_buffer ||
      napi_typeof(env, args[1], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, NULL, "socketConnect(address, onEvent)");
    return NULL;
  }
  napi_get_buffer_info(env, args[0], &address, &length);
  struct sockaddr_un sa;
  if (length == 0 || length > sizeof sa.sun_path || memchr((char *)address + 1, 0, length - 1)) return throw_errno(env, EINVAL);
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, address, length);
  // A path is NUL-terminated when it fits; an abstract name is exactly its bytes.
  socklen_t size = offsetof(struct sockaddr_un, sun_path) + length + (((char *)address)[0] && length < sizeof sa.sun_path ? 1 : 0);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno);
  int r;
  while ((r = connect(fd, (struct sockaddr *)&sa, size)) < 0 && errno == EINTR) {}
  // A Unix socket connects at once or not at all (EAGAIN: its listener's backlog is full), as libuv's pipes take it.
  if (r < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err);
  }
  Conn *c = calloc(1, sizeof *c);
  uv_loop_t *loop;
  napi_value name, handle;
  if (!c || napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, &c->poll, fd)) {
    free(c);
    close(fd);
    return throw_errno(env, ENOMEM);
  }
  c->fd = fd;
  c->env = env;
  c->owners = 2;
  c->poll.data = c;
  napi_create_reference(env, args[1], 1, &c->on_event);
  napi_create_string_utf8(env, "cpw-vault:dbus-socket", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &c->context);
  napi_add_env_cleanup_hook(env, on_env_end, c);
  watch(c);
  napi_create_external(env, c, on_collected, NULL, &handle);
  return handle;
}

static napi_value SocketWrite(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2], result;
  void *data;
  size_t length;
  bool is_buffer = false;
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc < 2 || napi_is_buffer(env, args[1], &is_buffer) != napi_ok || !is_buffer) {
    napi_throw_type_error(env, NULL, "socketWrite(handle, buffer)");
    return NULL;
  }
  Conn *c = conn_of(env, args[0]);
  if (!c) return NULL;
  napi_get_buffer_info(env, args[1], &data, &length);
  int err = c->closed ? EPIPE : 0;
  if (!err && length) {
    char *out = realloc(c->out, c->out_len + length);
    if (!out) err = ENOMEM;
    else {
      c->out = out;
      memcpy(c->out + c->out_len, data, length);
      c->out_len += length;
      err = flush(c);
      if (!err) watch(c);
    }
  }
  napi_create_int32(env, -err, &result);
  return result;
}

static napi_value SocketRef(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  bool keep = false;
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc < 2 || napi_get_value_bool(env, args[1], &keep) != napi_ok) {
    napi_throw_type_error(env, NULL, "socketRef(handle, keep)");
    return NULL;
  }
  Conn *c = conn_of(env, args[0]);
  if (c && !c->closed) {
    if (keep) uv_ref((uv_handle_t *)&c->poll);
    else uv_unref((uv_handle_t *)&c->poll);
  }
  return NULL;
}

static napi_value SocketClose(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  if (napi_get_cb_info(env, info, &argc, &arg, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "socketClose(handle)");
    return NULL;
  }
  Conn *c = conn_of(env, arg);
  if (c) close_conn(c);
  return NULL;
}

void cpw_socket_init(napi_env env, napi_value exports) {
  // A worker thread's addons are unloaded as it ends, before its loop runs the close callbacks of the handles closed
  // last (on_closed here: a jump into unmapped code, the process killed by SIGSEGV). Loaded again with RTLD_NODELETE,
  // this file stays mapped for the life of the process.
  Dl_info self;
  if (dladdr((void *)on_closed, &self) && self.dli_fname) dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  napi_value f;
  napi_create_function(env, "socketConnect", NAPI_AUTO_LENGTH, SocketConnect, NULL, &f);
  napi_set_named_property(env, exports, "socketConnect", f);
  napi_create_function(env, "socketWrite", NAPI_AUTO_LENGTH, SocketWrite, NULL, &f);
  napi_set_named_property(env, exports, "socketWrite", f);
  napi_create_function(env, "socketRef", NAPI_AUTO_LENGTH, SocketRef, NULL, &f);
  napi_set_named_property(env, exports, "socketRef", f);
  napi_create_function(env, "socketClose", NAPI_AUTO_LENGTH, SocketClose, NULL, &f);
  napi_set_named_property(env, exports, "socketClose", f);
}
