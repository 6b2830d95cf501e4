"""Paste a large answer at a hidden prompt in a real pseudo-terminal, as a terminal emulator does.

argv[1]: regex of the prompt, argv[2]: how much to paste, then Enter: N ("x" N times) or N:TEXT (TEXT N times, as
UTF-8), argv[3:]: the command.
Writes without blocking while reading the screen, then reads until the command exits (at most 150 s).
Prints JSON {"screen": ..., "code": ..., "seconds": ...}; "code" is null when it did not end.
"""
import fcntl
import json
import os
import pty
import re
import select
import sys
import time

prompt = re.compile(sys.argv[1].encode())
count, _, unit = sys.argv[2].partition(":")
size = int(count)
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[3], sys.argv[3:])
fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
screen = b""
alive = True


def pump(timeout):
    global screen, alive
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return
    try:
        data = os.read(fd, 65536)
    except BlockingIOError:
        return
    except OSError:
        alive = False
        return
    if not data:
        alive = False
    screen += data


deadline = time.time() + 150
while alive and not prompt.search(screen) and time.time() < deadline:
    pump(0.1)
start = time.time()
data = (unit or "x").encode() * size + b"\r"
sent = 0
while alive and sent < len(data) and time.time() < deadline:
    _, writable, _ = select.select([], [fd], [], 0.1)
    pump(0)
    if writable:
        try:
            sent += os.write(fd, data[sent:sent + 4096])
        except BlockingIOError:
            pass
        except OSError:
            break
while alive and time.time() < deadline:
    pump(0.5)
code = None
if not alive:
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
else:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
print(json.dumps({"screen": screen.decode(errors="replace"), "code": code, "seconds": round(time.time() - start, 1)}))
