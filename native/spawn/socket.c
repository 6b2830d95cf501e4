// The keychain's D-Bus socket without node:net (shared/node/secrets/dbus/bus-socket.ts): loading node:net and
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
//   socketAdopt(fd, onEvent) -> handle: the same over a descriptor of ours (the read end of a masked stage's pipe, where
//     node:net cost each `exec` its load, ~3.5 ms): it is made non-blocking, and closed with the handle
//   socketPause(handle, paused): stops reading (the reader of what it gives is full) or starts again
#define _GNU_SOURCE
#include "conn.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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
  napi_value handle = conn_adopt(env, fd, args[1], "cpw-vault:dbus-socket");
  if (!handle) close(fd);
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
      err = conn_flush(c);
      if (!err) conn_watch(c);
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

static napi_value SocketAdopt(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  int32_t fd = -1;
  napi_valuetype type;
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc < 2 || napi_get_value_int32(env, args[0], &fd) != napi_ok ||
      napi_typeof(env, args[1], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, NULL, "socketAdopt(fd, onEvent)");
    return NULL;
  }
  // Made non-blocking by libuv's poll handle (uv_poll_init), once it has checked the descriptor can be polled.
  if (fd < 0 || fcntl(fd, F_GETFD) < 0) return throw_errno(env, EBADF);
  return conn_adopt(env, fd, args[1], "cpw-vault:stage-pipe");
}

static napi_value SocketPause(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  bool paused = false;
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc < 2 || napi_get_value_bool(env, args[1], &paused) != napi_ok) {
    napi_throw_type_error(env, NULL, "socketPause(handle, paused)");
    return NULL;
  }
  Conn *c = conn_of(env, args[0]);
  if (c && !c->closed) {
    c->paused = paused;
    conn_watch(c);
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
  if (c) conn_close(c);
  return NULL;
}

void cpw_socket_init(napi_env env, napi_value exports) {
  // A worker thread's addons are unloaded as it ends, before its loop runs the close callbacks of the handles closed
  // last (on_closed here: a jump into unmapped code, the process killed by SIGSEGV). Loaded again with RTLD_NODELETE,
  // this file stays mapped for the life of the process.
  Dl_info self;
  if (dladdr((void *)cpw_socket_init, &self) && self.dli_fname) dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  napi_value f;
  napi_create_function(env, "socketConnect", NAPI_AUTO_LENGTH, SocketConnect, NULL, &f);
  napi_set_named_property(env, exports, "socketConnect", f);
  napi_create_function(env, "socketWrite", NAPI_AUTO_LENGTH, SocketWrite, NULL, &f);
  napi_set_named_property(env, exports, "socketWrite", f);
  napi_create_function(env, "socketRef", NAPI_AUTO_LENGTH, SocketRef, NULL, &f);
  napi_set_named_property(env, exports, "socketRef", f);
  napi_create_function(env, "socketClose", NAPI_AUTO_LENGTH, SocketClose, NULL, &f);
  napi_set_named_property(env, exports, "socketClose", f);
  napi_create_function(env, "socketAdopt", NAPI_AUTO_LENGTH, SocketAdopt, NULL, &f);
  napi_set_named_property(env, exports, "socketAdopt", f);
  napi_create_function(env, "socketPause", NAPI_AUTO_LENGTH, SocketPause, NULL, &f);
  napi_set_named_property(env, exports, "socketPause", f);
}
