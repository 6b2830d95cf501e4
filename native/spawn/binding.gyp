{
  "targets": [
    {
      "target_name": "cpw_spawn",
      "sources": ["spawn.c", "child.c", "socket.c", "conn.c"],
      "libraries": ["-ldl"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
