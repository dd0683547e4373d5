#!/usr/bin/env python3
"""Write the fuzz targets' seed corpora (corpus/<target>/) from scratch.

The seeds are checked in; run this again only to change them.  Each seed
is an input in the target's own format (see the comment at the top of
fuzz_<target>.c): a few header bytes, then the bytes the target works on.
The line target's seeds carry every case of the proto corpus
(tests/proto/corpus/*.tsv), a few kilobytes per seed.
"""
import os
import struct
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "proto", "corpus")
CORR = "ad12146a-b7d0-4a47-86bf-7ec298ce2c81"


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def corpus_lines():
    out = []
    for fn in ("events.tsv", "strict.tsv"):
        with open(os.path.join(CORPUS, fn), "rb") as f:
            for raw in f.read().split(b"\n"):
                if not raw or raw.startswith(b"#"):
                    continue
                parts = raw.split(b"\t", 3)
                if len(parts) < 4:
                    continue
                line = parts[3]
                if parts[0].endswith(b"%"):
                    line = urllib.parse.unquote_to_bytes(line.decode())
                out.append(line)
    return out


def line_header(max_line, mode, host=b"host"):
    """u16 max line - 1, mode, u64 now, 16-byte event id, host, ids."""
    return (struct.pack("<HB", max_line - 1, mode) +
            struct.pack("<Q", 1761215400123) + bytes(range(16)) +
            bytes([len(host)]) + host + bytes([1, 4, 4]))


def line_seeds():
    lines = corpus_lines()
    chunk, size, n = [], 0, 0
    modes = [0x00, 0x01, 0x13, 0x25, 0x30, 0x41, 0x5e, 0x70]
    for l in lines + [None]:
        if l is None or size + len(l) > 3500:
            mode = modes[n % len(modes)]
            write("line", "proto-corpus-%02d" % n,
                  line_header(4096, mode) + b"\n".join(chunk) + b"\n")
            chunk, size, n = [], 0, n + 1
            if l is None:
                break
        chunk.append(l)
        size += len(l) + 1
    ev = (b'{"type":"agent_action","correlation_id":"%s","agent_name":"a",'
          b'"action_type":"tool_call","action_name":"x","duration_ms":1}' %
          CORR.encode())
    write("line", "framing", line_header(200, 0x21) +
          b".hello 1 ack\r\n\n\r\n" + ev + b"\r\n.ping\n.status\n.bogus\n" +
          ev[:50] + b"\n" + b"x" * 300 + b"\n" + ev)
    write("line", "oversize", line_header(64, 0x34) + ev + b"\n" + ev[:60] +
          b"\r\n" + ev[:64] + b"\n" + ev[:65] + b"\n" + ev[:10])
    write("line", "nested", line_header(4096, 0x10, b"h\xc3\xa9\"\\\x01") +
          ev[:-1] + b',"d":' + b"[" * 70 + b"]" * 70 + b"}\n" +
          ev[:-1] + b',"d":' + b'{"a":' * 63 + b"1" + b"}" * 63 + b"}\n")


def rec_op(kind, seqmode=0, klen=36, vlen=80, typ=0, key=None, val=None):
    """A record op of fuzz_record.c: op, key length, value length, ..."""
    op = kind | (seqmode << 4)
    key = (key or CORR.encode())[:klen].ljust(klen, b"k")
    val = (val or b'{"n":1}')[:vlen].ljust(vlen, b" ")
    return bytes([op, klen]) + struct.pack("<H", vlen) + bytes([7, typ]) + key + val


def record_seeds():
    five = b"".join(rec_op(0, typ=i % 4) for i in range(5))
    write("record", "one-segment", bytes([0, 0]) + five)
    write("record", "three-segments", bytes([100, 0]) + five + b"\x06" + five +
          b"\x06" + five)
    write("record", "torn-tail", bytes([0, 0]) + five + rec_op(3) + b"\x40\x00")
    write("record", "flipped", bytes([0, 0]) + five + b"\x05\x40\x00\x08" + five)
    write("record", "raw-between", bytes([0, 0]) + five + b"\x04\x10" +
          b"garbage bytes..." + five)
    write("record", "big", bytes([0, 0]) + rec_op(0) + bytes([0x08, 4, 0, 1, 0, 0, 7, 0]) +
          b"key!" + rec_op(0))


def arg(s):
    s = s.encode() if isinstance(s, str) else s
    return bytes([len(s)]) + s


def flags_seeds():
    examples = [
        (0, [(0, "polymorphic-agent"), (1, "decision"), (2, "route"),
             (3, '{"selected_agent":"agent-performance","confidence":0.92}'),
             (4, "45"), (5, "yes")]),
        (1, [(0, "agent-performance"), (1, "0.92"), (2, "enhanced_fuzzy_matching"),
             (3, "45"), (4, "optimize my database queries"), (5, "why\n\"\\"),
             (6, '[ "a" , "b" ]'), (7, '{ "k" : [1, 2.5e3, null] }')]),
        (2, [(0, "polymorphic-agent"), (1, "agent-performance"), (2, "true"),
             (3, "85"), (4, "caf\u00e9 \u2603"), (5, ".5")]),
        (3, [(0, "optimize"), (1, "-0"), (2, "off"), (3, "+5"), (4, "x\ty"),
             (5, '{"total":1e-3}')]),
        (1, [(1, "1e999"), (1, "nan"), (1, "0x10"), (3, "9007199254740993"),
             (6, "{}"), (7, "[]"), (1, "1")]),
    ]
    for n, (skill, ops) in enumerate(examples):
        data = bytes([skill, len(ops)])
        for field, value in ops:
            data += bytes([field]) + arg(value)
        data += arg(CORR) + struct.pack("<Q", 1761215400123)
        write("flags", "skill-%d" % n, data)


if __name__ == "__main__":
    line_seeds()
    record_seeds()
    flags_seeds()
    sys.exit(0)
