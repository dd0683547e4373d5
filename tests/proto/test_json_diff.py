"""Differential test of the strict JSON scanner against an independent oracle.

Tens of thousands of lines made by mutating the corpus (flipping, inserting,
deleting and repeating bytes, with a fixed seed so a failure reproduces) go
through proto_json_check() (proto-check --json).  The oracle is Python: its
UTF-8 codec (strict: no overlongs, no surrogates, nothing past U+10FFFF) and
its json module (RFC 8259 numbers, no raw control characters in strings),
plus the rules agentlogd adds: no NaN/Infinity, no lone surrogate or \\u0000
escape, nesting of at most 64.  The two must agree on every line.

Every mutated line the event validator accepts is also spliced, and the
enriched event must be strict JSON without duplicate keys.
"""
import json
import os
import random
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_schema import PROTO_CHECK, CORPUS, read_corpus, run_proto_check, strict_loads  # noqa: E402

SEED = 20251023
CASES = 40000
MAX_DEPTH = 64
INTERESTING = (b'"\\{}[]:,0123456789-+.eE \t\r' b"ntrufalse" b"u00d8dcDC"
               + bytes(range(0x00, 0x20, 3)) + bytes([0x7f, 0x80, 0xbf, 0xc0,
                                                      0xc2, 0xe0, 0xed, 0xef,
                                                      0xf0, 0xf4, 0xf5, 0xff]))


class Refused(Exception):
    pass


def depth(v):
    if isinstance(v, dict):
        return 1 + max((depth(x) for x in v.values()), default=0)
    if isinstance(v, list):
        return 1 + max((depth(x) for x in v), default=0)
    return 0


def bad_text(s):
    return "\x00" in s or any(0xD800 <= ord(c) <= 0xDFFF for c in s)


def check_strings(v):
    if isinstance(v, str):
        if bad_text(v):
            raise Refused("lone surrogate or NUL")
    elif isinstance(v, list):
        for x in v:
            check_strings(x)
    elif isinstance(v, dict):
        for k, x in v.items():
            if bad_text(k):
                raise Refused("lone surrogate or NUL in key")
            check_strings(x)


def oracle(line):
    """Does the oracle accept line as exactly one strict JSON value?"""
    def constant(c):
        raise Refused(c)

    def pairs(kv):
        for k, _ in kv:
            if bad_text(k):
                raise Refused("key")
        return dict(kv)

    try:
        text = line.decode("utf-8")
        v = json.loads(text, parse_constant=constant, object_pairs_hook=pairs)
        check_strings(v)
        return depth(v) <= MAX_DEPTH
    except (UnicodeDecodeError, ValueError, Refused, RecursionError):
        return False


def mutate(rng, line):
    b = bytearray(line)
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        op = rng.randrange(5)
        i = rng.randrange(len(b) + 1)
        if op == 0 and b:
            b[min(i, len(b) - 1)] = rng.choice(INTERESTING)
        elif op == 1:
            b[i:i] = bytes([rng.choice(INTERESTING)])
        elif op == 2 and b:
            del b[i:i + rng.choice((1, 1, 2, 5))]
        elif op == 3 and b:
            j = rng.randrange(len(b))
            b[i:i] = b[j:j + rng.randrange(1, 8)]
        else:
            b = b[:i]
    return bytes(b).replace(b"\n", b" ")


class JsonDifferential(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        seeds = [c.line for f in ("events.tsv", "strict.tsv")
                 for c in read_corpus(os.path.join(CORPUS, f))
                 if b"\n" not in c.line]
        rng = random.Random(SEED)
        lines = [mutate(rng, rng.choice(seeds)) for _ in range(CASES)]
        lines += [c for c in seeds]
        lines += [b"[" * 64 + b"]" * 64, b"[" * 65 + b"]" * 65,
                  b'{"a":' * 63 + b"1" + b"}" * 63, b'"\\ud83d\\ude00"']
        cls.lines = lines

    def test_scanner_agrees_with_oracle(self):
        out = run_proto_check(self.lines, "--json")
        disagree = []
        for line, res in zip(self.lines, out):
            c_ok = res == "ok"
            if c_ok != oracle(line):
                disagree.append("%r: C %s" % (line[:200], res))
        self.assertEqual(disagree[:20], [], "%d disagreements" % len(disagree))
        accepted = sum(1 for r in out if r == "ok")
        # Both verdicts must be well represented, or the test proves little.
        self.assertGreater(accepted, len(self.lines) // 5)
        self.assertGreater(len(self.lines) - accepted, len(self.lines) // 5)

    def test_spliced_mutants_are_strict_json(self):
        out = run_proto_check(self.lines, "--splice")
        n = 0
        for line, res in zip(self.lines, out):
            if res.startswith("error: "):
                continue
            n += 1
            try:
                ev = strict_loads(res.encode())
            except ValueError as e:
                self.fail("%r -> %r: %s" % (line[:200], res[:200], e))
            self.assertEqual(ev["schema_version"], 1)
            self.assertTrue(oracle(res.encode()), res[:200])
        self.assertGreater(n, 1000)


if __name__ == "__main__":
    unittest.main()
