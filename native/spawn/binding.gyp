{
  "targets": [
    {
      "target_name": "cpw_spawn",
      "sources": ["spawn.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
