"""The JSON Schemas and the C validator agree on the corpus.

Every case of corpus/events.tsv goes through proto/schema/event.schema.json
(Python's jsonschema) and through the C validator (the proto-check CLI), and
both must give the verdict the corpus expects; the C validator's message must
be the expected one.  corpus/strict.tsv holds what only the C validator can
judge (strict JSON, duplicate keys, ...): those go through proto-check only.
Every accepted case is also spliced by proto-check and the enriched event is
re-read with Python's json module (strict: no duplicate keys, no NaN) and,
for events.tsv, validated against the schema again.
"""
import glob
import json
import os
import re
import subprocess
import unittest

import jsonschema
from jsonschema import Draft202012Validator, RefResolver

SOURCE = os.environ["AGENTLOG_SOURCE"]
BUILD = os.environ["AGENTLOG_BUILD"]
CORPUS = os.path.join(SOURCE, "tests", "proto", "corpus")
SCHEMAS = os.path.join(SOURCE, "proto", "schema")
PROTO_CHECK = os.path.join(BUILD, "tests", "proto", "proto-check")
SCHEMA_BASE = "https://agentlog.invalid/schema/1/"
OWNED = {"type", "event_id", "source", "schema_version", "timestamp"}


class Case:
    def __init__(self, where, ok, name, expect, line):
        self.where, self.ok, self.name = where, ok, name
        self.expect, self.line = expect, line

    def __repr__(self):
        return "%s %s" % (self.where, self.name)


def read_corpus(path):
    """The cases of one corpus file (format: corpus/README.md)."""
    cases = []
    with open(path, "rb") as f:
        for n, raw in enumerate(f.read().split(b"\n"), 1):
            if not raw or raw.startswith(b"#"):
                continue
            verdict, name, expect, line = raw.split(b"\t", 3)
            if verdict.endswith(b"%"):
                verdict = verdict[:-1]
                line = re.sub(rb"%([0-9A-Fa-f]{2})",
                              lambda m: bytes([int(m.group(1), 16)]), line)
            assert verdict in (b"ok", b"err"), (path, n)
            cases.append(Case("%s:%d" % (os.path.basename(path), n),
                              verdict == b"ok", name.decode(),
                              expect.decode(), line))
    return cases


def run_proto_check(lines, *args):
    """proto-check's output line for each input line."""
    out = subprocess.run([PROTO_CHECK, *args], input=b"\n".join(lines) + b"\n",
                         stdout=subprocess.PIPE, check=True, timeout=60).stdout
    res = out.split(b"\n")[:-1]
    assert len(res) == len(lines), (len(res), len(lines))
    return [r.decode("utf-8", "replace") for r in res]


def strict_loads(data):
    """json.loads, refusing what RFC 8259 leaves open and agentlogd refuses:
    duplicate top-level keys (nested ones are allowed), NaN and Infinity."""
    def constant(c):
        raise ValueError("non-standard constant " + c)

    text = data.decode("utf-8")
    top = json.loads(text, object_pairs_hook=lambda kv: kv,
                     parse_constant=constant)
    keys = [k for k, _ in top]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate top-level key")
    return json.loads(text, parse_constant=constant)


def load_validator():
    store = {}
    for f in glob.glob(os.path.join(SCHEMAS, "*.schema.json")):
        with open(f) as fh:
            s = json.load(fh)
        Draft202012Validator.check_schema(s)
        store[s["$id"]] = s
    event = store[SCHEMA_BASE + "event.schema.json"]
    return store, Draft202012Validator(
        event, resolver=RefResolver.from_schema(event, store=store))


class SchemaAgreement(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.store, cls.validator = load_validator()
        cls.events = read_corpus(os.path.join(CORPUS, "events.tsv"))
        cls.strict = read_corpus(os.path.join(CORPUS, "strict.tsv"))

    def schema_verdict(self, line):
        """(accepted, reason) of the schema for one line."""
        try:
            doc = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            return False, "not JSON: %s" % e
        err = jsonschema.exceptions.best_match(self.validator.iter_errors(doc))
        return err is None, err.message if err else ""

    def test_schemas_are_complete(self):
        names = sorted(os.path.basename(f) for f in
                       glob.glob(os.path.join(SCHEMAS, "*.schema.json")))
        self.assertEqual(names, [
            "agent_action.schema.json", "event.schema.json",
            "performance_metrics.schema.json", "routing_decision.schema.json",
            "transformation.schema.json"])

    def test_corpus_has_both_verdicts_for_every_type(self):
        for t in ("agent_action", "routing_decision", "transformation",
                  "performance_metrics"):
            oks = [c for c in self.events if c.ok and t.encode() in c.line]
            errs = [c for c in self.events if not c.ok and t.encode() in c.line]
            self.assertGreater(len(oks), 3, t)
            self.assertGreater(len(errs), 10, t)

    def test_events_agree(self):
        c_out = run_proto_check([c.line for c in self.events])
        disagree = []
        for case, c_res in zip(self.events, c_out):
            s_ok, s_why = self.schema_verdict(case.line)
            want_c = "ok" if case.ok else "error: " + case.expect
            if s_ok != case.ok or c_res != want_c:
                disagree.append("%r: expected %s; schema %s (%s); C %s" % (
                    case, "ok" if case.ok else "error", "ok" if s_ok else
                    "error", s_why, c_res))
        self.assertEqual(disagree, [], "\n" + "\n".join(disagree))
        self.assertGreater(len(self.events), 200)

    def test_strict_c_only(self):
        cases = [c for c in self.strict if b"\n" not in c.line]
        c_out = run_proto_check([c.line for c in cases])
        bad = ["%r: %s" % (c, r) for c, r in zip(cases, c_out)
               if r != ("ok" if c.ok else "error: " + c.expect)]
        self.assertEqual(bad, [], "\n".join(bad))

    def check_enriched(self, case, out, against_schema):
        ev = strict_loads(out)
        orig = json.loads(case.line.decode("utf-8"))
        self.assertEqual(list(ev)[:5], ["event_id", "timestamp",
                                        "schema_version", "type", "source"])
        self.assertRegex(ev["event_id"], r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}"
                         r"-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        self.assertEqual(ev["schema_version"], 1)
        self.assertEqual(ev["source"], {"pid": 1, "uid": 0, "gid": 0,
                                        "host": "proto-check", "via": "stream"})
        self.assertEqual(ev["correlation_id"], orig["correlation_id"].lower())
        if isinstance(orig.get("timestamp"), str):
            self.assertEqual(ev["timestamp"], orig["timestamp"])
        else:
            self.assertEqual(ev["timestamp"], "2025-10-23T10:30:00.123Z")
        for k, v in orig.items():
            if k not in OWNED and k != "correlation_id":
                self.assertEqual(json.dumps(ev[k]), json.dumps(v), k)
        if against_schema:
            err = jsonschema.exceptions.best_match(
                self.validator.iter_errors(ev))
            self.assertIsNone(err, err and err.message)

    def test_enriched_events(self):
        for cases, schema in ((self.events, True), (self.strict, False)):
            ok = [c for c in cases if c.ok]
            for case, out in zip(ok, run_proto_check([c.line for c in ok],
                                                     "--splice")):
                with self.subTest(case=repr(case)):
                    self.check_enriched(case, out.encode(), schema)


if __name__ == "__main__":
    unittest.main()
