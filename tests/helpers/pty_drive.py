"""Drive a command through a real pseudo-terminal, like a person at a keyboard.

argv[1]: JSON list of steps [{"expect": regex, "send": text}], argv[2:]: the command.
Waits for each regex in the screen output (since the previous match), types
`send`, then reads until the command exits. Prints JSON {"screen": ..., "code": ...}.
A step with "signal": "TERM" (a name without SIG) sends that signal to the
command instead of typing (`kill` from another terminal).
A step with "latin1" instead of "send" types those characters as single bytes (bytes that are not UTF-8: a paste
from a terminal in another character set).
A step with "run" runs that shell command instead of typing (`kill -STOP` of a daemon the command waits on).
A step with "delay" waits that many seconds (0.15 unless given) between its match and its action: 0.03 after
a prompt's answer was drawn sends the rest of a paste as a terminal delivering it in two reads does.
A step with "cooked": true also waits until the terminal is back in canonical
mode (a hidden prompt has ended: what is typed next goes to the line
discipline, so Ctrl-C is a SIGINT to the command as it works).
"""
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import termios
import time

steps = json.loads(sys.argv[1])
cmd = sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)

screen = b""
cursor = 0


def pump(timeout):
    global screen
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return True
    try:
        data = os.read(fd, 65536)
    except OSError:
        return False
    if not data:
        return False
    screen += data
    return True


for step in steps:
    deadline = time.time() + 20
    pattern = re.compile(step["expect"].encode())
    while True:
        m = pattern.search(screen, cursor)
        if m and (not step.get("cooked") or termios.tcgetattr(fd)[3] & termios.ICANON):
            cursor = m.end()
            break
        if time.time() > deadline or not pump(0.1):
            print(json.dumps({"screen": screen.decode(errors="replace"), "code": None, "stuck_at": step["expect"]}))
            sys.exit(0)
    time.sleep(step.get("delay", 0.15))
    if "run" in step:
        subprocess.run(step["run"], shell=True, check=True)
    elif "signal" in step:
        os.kill(pid, getattr(signal, "SIG" + step["signal"]))
    elif "latin1" in step:
        os.write(fd, step["latin1"].encode("latin1"))
    else:
        os.write(fd, step["send"].encode())

while pump(0.5):
    pass
_, status = os.waitpid(pid, 0)
print(json.dumps({"screen": screen.decode(errors="replace"), "code": os.waitstatus_to_exitcode(status)}))
