// A descriptor watched by libuv's own poll handle on the main thread's loop (conn.c): the keychain's D-Bus socket and
// the read ends of a masked stage's pipes, for the addon's exports in socket.c.
#ifndef CPW_CONN_H
#define CPW_CONN_H
#include <node_api.h>
#include <stddef.h>
#include <uv.h>

typedef struct {
  uv_poll_t poll;
  int fd;
  int closed;
  /** Owners of this memory: the poll handle until libuv closed it, and the JS handle until it is collected. */
  int owners;
  int events;
  /** Not read while set (socketPause); at the end of the stream, never again. */
  int paused;
  int ended;
  napi_env env;
  napi_ref on_event;
  napi_async_context context;
  /** What the socket did not take yet, sent when it can (the peer reading slowly). */
  char *out;
  size_t out_len;
} Conn;

/** A handle over descriptor `fd` (non-blocking), watched for reads and closed with the handle; NULL (an exception thrown, fd left open) when it cannot be made. */
napi_value conn_adopt(napi_env env, int fd, napi_value on_event, const char *resource);
/** The Conn of a JS handle; NULL, a TypeError thrown, for anything else. */
Conn *conn_of(napi_env env, napi_value v);
/** Throws an Error with `code` the errno name of `err`; returns NULL. */
napi_value throw_errno(napi_env env, int err);
/** Closes it: no event after this call. */
void conn_close(Conn *c);
/** Sends what waits in `out`: 0, or an errno. */
int conn_flush(Conn *c);
/** Polls for what it waits for now: reads (unless paused or ended), writes (while `out` holds bytes). */
void conn_watch(Conn *c);

#endif
