{
  "targets": [
    {
      "target_name": "cpw_spawn",
      "sources": ["spawn.c", "socket.c", "conn.c"],
      "libraries": ["-ldl"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
