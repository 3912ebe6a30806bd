#!/usr/bin/env python3
"""A seccomp agent for ward's tests (runtime-spec linux.seccomp.listenerPath).

usage: listener.py SOCKET OUTDIR MODE

Listens on the AF_UNIX SOCK_STREAM socket SOCKET. For every connection it
receives the container process state (JSON payload) and the seccomp notify
fd (SCM_RIGHTS), writes the JSON to OUTDIR/state.N.json and the number of fds
received to OUTDIR/fds.N, then answers every notification on that fd:

  MODE errno:N    the syscall fails with errno N
  MODE success:V  the syscall "succeeds" with return value V, not executed
  MODE continue   the syscall runs (SECCOMP_USER_NOTIF_FLAG_CONTINUE)

One line per notification goes to OUTDIR/notifs: "conn=N nr=NR pid=PID".
When the runtime closes a connection, OUTDIR/eof.N records how many seconds
after the state it did so.
OUTDIR/ready is created once the socket listens. Runs until killed.

The ioctl numbers and structures are those of <linux/seccomp.h> on x86_64:
  struct seccomp_data       { s32 nr; u32 arch; u64 ip; u64 args[6]; }  64 bytes
  struct seccomp_notif      { u64 id; u32 pid; u32 flags; seccomp_data } 80 bytes
  struct seccomp_notif_resp { u64 id; s64 val; s32 error; u32 flags; }   24 bytes
  SECCOMP_IOCTL_NOTIF_RECV = _IOWR('!', 0, struct seccomp_notif)
  SECCOMP_IOCTL_NOTIF_SEND = _IOWR('!', 1, struct seccomp_notif_resp)
"""
import array
import errno
import fcntl
import json
import os
import select
import socket
import struct
import sys
import threading
import time

IOC_WRITE, IOC_READ = 1, 2


def _iowr(typ, nr, size):
    return ((IOC_READ | IOC_WRITE) << 30) | (size << 16) | (ord(typ) << 8) | nr


NOTIF = struct.Struct("=QIIiIQ6Q")  # seccomp_notif with seccomp_data inline
RESP = struct.Struct("=QqiI")
assert NOTIF.size == 80 and RESP.size == 24
NOTIF_RECV = _iowr("!", 0, NOTIF.size)
NOTIF_SEND = _iowr("!", 1, RESP.size)
assert NOTIF_RECV == 0xC0502100 and NOTIF_SEND == 0xC0182101
FLAG_CONTINUE = 1

lock = threading.Lock()


def log_notif(outdir, line):
    with lock:
        with open(os.path.join(outdir, "notifs"), "a") as f:
            f.write(line + "\n")


def serve_fd(conn_no, nfd, outdir, mode):
    while True:
        r, _, x = select.select([nfd], [], [nfd], 30)
        if not r and not x:
            return
        buf = bytearray(NOTIF.size)  # must be zeroed for NOTIF_RECV
        try:
            fcntl.ioctl(nfd, NOTIF_RECV, buf, True)
        except OSError as e:
            if e.errno == errno.EINTR:
                continue
            return  # ENOENT: the target went away; other errors end too
        nid, pid, _flags, nr, _arch, _ip, *_args = NOTIF.unpack(buf)
        log_notif(outdir, "conn=%d nr=%d pid=%d" % (conn_no, nr, pid))
        if mode.startswith("errno:"):
            resp = RESP.pack(nid, 0, -int(mode[6:]), 0)
        elif mode.startswith("success:"):
            resp = RESP.pack(nid, int(mode[8:]), 0, 0)
        elif mode == "continue":
            resp = RESP.pack(nid, 0, 0, FLAG_CONTINUE)
        else:
            raise SystemExit("bad mode " + mode)
        try:
            fcntl.ioctl(nfd, NOTIF_SEND, bytearray(resp), True)
        except OSError:
            pass  # the target was killed meanwhile (ENOENT)


def wait_eof(conn, conn_no, outdir):
    """Record when the runtime closes the connection (it MUST, right after
    sending the state): OUTDIR/eof.N holds the seconds since the state came."""
    start = time.monotonic()
    try:
        while conn.recv(65536):
            pass
    except OSError:
        pass
    with open(os.path.join(outdir, "eof.%d" % conn_no), "w") as f:
        f.write("%.3f\n" % (time.monotonic() - start))
    conn.close()


def handle(conn, conn_no, outdir, mode):
    fds = array.array("i")
    data = b""
    # The runtime may use several sendmsg calls; the fds come with the first.
    while True:
        msg, anc, _flags, _addr = conn.recvmsg(65536, socket.CMSG_SPACE(4 * fds.itemsize))
        for level, typ, cdata in anc:
            if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                fds.frombytes(cdata[: len(cdata) - (len(cdata) % fds.itemsize)])
        data += msg
        if not msg:
            break
        try:
            json.loads(data)
            break
        except ValueError:
            continue
    with open(os.path.join(outdir, "state.%d.json" % conn_no), "wb") as f:
        f.write(data)
    with open(os.path.join(outdir, "fds.%d" % conn_no), "w") as f:
        f.write("%d\n" % len(fds))
    threading.Thread(target=wait_eof, args=(conn, conn_no, outdir), daemon=True).start()
    if len(fds) >= 1:
        serve_fd(conn_no, fds[0], outdir, mode)
        for fd in fds:
            os.close(fd)


def main():
    path, outdir, mode = sys.argv[1:4]
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(8)
    open(os.path.join(outdir, "ready"), "w").close()
    n = 0
    while True:
        conn, _ = srv.accept()
        t = threading.Thread(target=handle, args=(conn, n, outdir, mode), daemon=True)
        t.start()
        n += 1


if __name__ == "__main__":
    main()
