{
  "targets": [
    {
      "target_name": "cpw_spawn",
      "sources": ["spawn.c", "socket.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
