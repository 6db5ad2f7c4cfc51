"""Runs a command on a pseudo-terminal (standard input, output and error),
typing each of the lines given after `--` when the command is quiet, and
prints what the terminal showed; exits with the command's status. Used by
cli/tests/cosign_keys.rs to test vouch's password prompt.

  on_tty.py LINE... -- COMMAND ARGS...
"""

import os
import pty
import select
import sys

split = sys.argv.index("--")
lines, command = sys.argv[1:split], sys.argv[split + 1 :]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(command[0], command)
shown = b""
while True:
    ready, _, _ = select.select([fd], [], [], 0.5)
    if ready:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    elif lines:
        os.write(fd, lines.pop(0).encode() + b"\n")
_, status = os.waitpid(pid, 0)
sys.stdout.write(shown.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
