#!/usr/bin/env python3
"""Recompute PCR 10 from an IMA binary measurement list, independently of
ward's C code: the record layout and extend rule as the kernel's IMA and
the TCG define them, written from scratch with hashlib.

usage: ima_pcr.py LIST            print "count N", "sha1 HEX", "sha256 HEX"
       ima_pcr.py LIST --paths    also print "<sha256 file digest> <path>"
                                  for each ima-ng/ima-sig record
Exit 1 on a malformed list or a record whose template digest is wrong.
"""
import hashlib
import struct
import sys


def fields(data):
    """Split template data into its length-prefixed fields."""
    out, off = [], 0
    while off < len(data):
        if off + 4 > len(data):
            raise ValueError("truncated field length")
        (n,) = struct.unpack_from("<I", data, off)
        off += 4
        if off + n > len(data):
            raise ValueError("truncated field")
        out.append(data[off:off + n])
        off += n
    return out


def replay(blob):
    banks = {"sha1": bytes(20), "sha256": bytes(32)}
    records, off = [], 0
    while off < len(blob):
        pcr, tdigest, nlen = struct.unpack_from("<I20sI", blob, off)
        off += 28
        name = blob[off:off + nlen].decode()
        off += nlen
        (dlen,) = struct.unpack_from("<I", blob, off)
        off += 4
        data = blob[off:off + dlen]
        if len(data) != dlen:
            raise ValueError("truncated record")
        off += dlen
        if pcr != 10:
            raise ValueError("record for PCR %d" % pcr)
        violation = tdigest == bytes(20)
        if not violation and hashlib.sha1(data).digest() != tdigest:
            raise ValueError("template digest mismatch in record %d" % (len(records) + 1))
        for algo in banks:
            size = hashlib.new(algo).digest_size
            ext = b"\xff" * size if violation else hashlib.new(algo, data).digest()
            banks[algo] = hashlib.new(algo, banks[algo] + ext).digest()
        records.append((name, fields(data)))
    return banks, records


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], "rb") as f:
        blob = f.read()
    try:
        banks, records = replay(blob)
    except (ValueError, struct.error, UnicodeDecodeError) as e:
        print("ima_pcr.py: %s" % e, file=sys.stderr)
        return 1
    print("count %d" % len(records))
    for algo, value in banks.items():
        print("%s %s" % (algo, value.hex()))
    if "--paths" in sys.argv:
        for tmpl, fl in records:
            if tmpl in ("ima-ng", "ima-sig") and len(fl) >= 2:
                algo, _, digest = fl[0].partition(b":\0")
                print("%s %s" % (digest.hex(), fl[1].rstrip(b"\0").decode(errors="replace")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
