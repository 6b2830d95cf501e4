// child.c: exec's stage started by clone(CLONE_VM | CLONE_VFORK) with a parent-death signal.
#ifndef CPW_CHILD_H
#define CPW_CHILD_H
#include <sys/types.h>

/**
 * Starts `path` with `argv` and `envp`, its fds 0-2 from `fds` (each its own number, or one above 2), every signal
 * at its default action (1-31; real-time ones the caller handles) and none blocked, and SIGTERM as its parent-death
 * signal. 0 and `*pid` set, or the errno of the failure (the program's execve's: ENOENT, EACCES, ENOEXEC...).
 */
int cpw_spawn_child(pid_t *pid, const char *path, char *const argv[], char *const envp[], const int fds[3]);
#endif
