// exec's stage started as glibc's posix_spawn starts one (clone(CLONE_VM | CLONE_VFORK): no copy of this process's
// page tables; the parent thread waits until the child has run execve or failed), with one thing posix_spawn has no
// attribute for: PR_SET_PDEATHSIG, so a stage whose exec is killed by `kill -9` (a CI timeout, an OOM kill) gets
// SIGTERM instead of running on unsupervised with the keys in its environment.
//
// Why SIGTERM: the signal exec passes on when it is asked to end, which a stage can clean up on (its partial output,
// its temp files); SIGKILL would leave those. A stage that ignores SIGTERM runs on, as it would after a SIGTERM
// passed on. Its limits (Linux): it reaches the stage's own process only (as exec's forwarding does, never its
// children); the kernel clears it when the stage runs a set-uid or set-gid program or one with file capabilities
// (sudo: such a stage runs on as before); it fires when the *thread* that started the child ends, here Node's main
// thread, which ends only with the process (a Worker that called it would take its stage with it on its end); and the
// kernel sends it again each time the stage, handed to another thread of the dying exec, loses that one too: a stage
// may get two or three SIGTERMs in a row (one whose second SIGTERM cuts its cleanup short is cut short).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "child.h"

#define CHILD_STACK (64 * 1024)

typedef struct {
  const char *path;
  char *const *argv;
  char *const *envp;
  const int *fds;
  pid_t parent;
  volatile int err; // set by the child when it could not run the program: this memory is the parent's (CLONE_VM)
} child_args_t;

/**
 * The child, on a stack of its own in the parent's memory, every signal blocked: only system calls, nothing that
 * allocates or takes a lock another thread of the parent may hold. Never returns: execve, or _exit(127).
 */
static int child_main(void *arg) {
  child_args_t *a = arg;
  // Set first, then the parent looked at: one killed before it was set is seen here (the stage never starts).
  if (prctl(PR_SET_PDEATHSIG, SIGTERM)) {
    a->err = errno;
    _exit(127);
  }
  if (getppid() != a->parent) {
    a->err = ESRCH;
    _exit(127);
  }
  // Signals 1-31 at their default action, as posix_spawn's POSIX_SPAWN_SETSIGDEF and libuv's child set them (Node
  // ignores SIGPIPE). A real-time one the parent handles, too: a handler of the parent must never run in this child,
  // which shares its memory (one it ignores stays ignored, as across Node's fork and exec). glibc's own two (32, 33)
  // are refused by sigaction and left: they have handlers, which execve resets to the default action.
  struct sigaction dfl = {0}, was;
  dfl.sa_handler = SIG_DFL;
  for (int n = 1; n < NSIG; n++) {
    if (n == SIGKILL || n == SIGSTOP || (n >= 32 && n < SIGRTMIN)) continue;
    if (n >= SIGRTMIN && (sigaction(n, NULL, &was) || was.sa_handler == SIG_IGN || was.sa_handler == SIG_DFL)) continue;
    sigaction(n, &dfl, NULL);
  }
  // fds 0-2: dup2 of a pipe's end, or the inherited one made inheritable (dup2 onto itself would leave FD_CLOEXEC).
  for (int i = 0; i < 3; i++) {
    if (a->fds[i] == i ? fcntl(i, F_SETFD, 0) : dup2(a->fds[i], i) < 0) {
      a->err = errno;
      _exit(127);
    }
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execve(a->path, a->argv, a->envp);
  a->err = errno;
  _exit(127);
}

int cpw_spawn_child(pid_t *pid, const char *path, char *const argv[], char *const envp[], const int fds[3]) {
  void *stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return errno;
  child_args_t a = {path, argv, envp, fds, getpid(), 0};
  // Every signal blocked in this thread from before the clone: the child starts with them blocked, so no handler of
  // Node's runs in it before it has put them back to their default action.
  sigset_t all, before;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &before);
  pid_t p = clone(child_main, (char *)stack + CHILD_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
  int rc = p < 0 ? errno : a.err;
  pthread_sigmask(SIG_SETMASK, &before, NULL);
  munmap(stack, CHILD_STACK);
  if (p > 0 && rc) {
    // It never ran the program: reaped here (no one else waits for a pid not handed out).
    while (waitpid(p, NULL, 0) < 0 && errno == EINTR) {}
  }
  if (!rc) *pid = p;
  return rc;
}
