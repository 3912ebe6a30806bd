#!/usr/bin/env python3
"""Type a line and TAB into an interactive bash on a pseudo-terminal, and
print the line as readline completed it.

usage: complete_pty.py COMPLETION_FILE WARD_DIR LINE

bash runs with no rc files, WARD_DIR first in PATH, COMPLETION_FILE
sourced. After the TAB the line is turned into `echo "RESULT:<line>"`
(Ctrl-A, text, Ctrl-E, text, Enter) so that the completed line comes back
as output; prints what follows RESULT:, or exits 1 after 20 s without it.
"""
import os
import pty
import re
import select
import sys
import time


def read_until(fd, token, timeout):
    """Read until the bytes token (or a match of the regex token) arrive."""
    out = b""
    end = time.time() + timeout
    found = (lambda o: token.search(o)) if hasattr(token, "search") else (lambda o: token in o)
    while not found(out) and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                out += os.read(fd, 4096)
            except OSError:
                break
    return out


def main():
    comp, ward_dir, line = sys.argv[1:4]
    env = dict(os.environ, PATH=ward_dir + ":" + os.environ.get("PATH", ""),
               PS1="PROMPT> ", TERM="dumb", INPUTRC="/dev/null")
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe("bash", ["bash", "--norc", "--noprofile", "-i"], env)
    read_until(fd, b"PROMPT> ", 20)
    os.write(fd, b"source '%s'; echo READY\n" % comp.encode())
    read_until(fd, b"READY", 20)
    read_until(fd, b"PROMPT> ", 5)
    # readline completes at the TAB before it reads the keys after it.
    os.write(fd, line.encode() + b'\t\x01echo "RESULT:\x05"\n')
    out = read_until(fd, re.compile(rb"(^|\n)RESULT:[^\r\n]*\r?\n"), 20)
    os.write(fd, b"exit\n")
    os.waitpid(pid, 0)
    text = out.decode(errors="replace").replace("\r", "")
    results = [l for l in text.split("\n") if l.startswith("RESULT:")]
    if not results:
        sys.stderr.write("no RESULT line; terminal output:\n" + text + "\n")
        return 1
    print(results[-1][len("RESULT:"):])
    return 0


sys.exit(main())
