"""What every scenario of the benchmark suite shares: the configuration
(sizes of the full and the smoke run), running a benchmark program and
reading its key=value output, and the rows of the results table.
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def wait_for(cond, timeout=10.0, interval=0.01, what="condition"):
    """Poll cond() until it returns a true value; return that value."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise TimeoutError("timed out after %.0f s waiting for %s"
                               % (timeout, what))
        time.sleep(interval)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


class Config:
    """Sizes of one run.  full: what BENCHMARKS.md is made with (about 20
    minutes on a 2-core VM); smoke: the same code paths on tiny sizes."""

    def __init__(self, build, source, smoke=False, runs=None):
        self.build, self.source, self.smoke = build, source, smoke
        self.runs = runs or (1 if smoke else 5)
        self.events = 20000 if smoke else 1000000          # throughput runs
        self.senders = [1, 4, 16]
        self.publish_runs = 10 if smoke else 500           # fast commands
        self.publish_slow_runs = 2 if smoke else 50        # kcat, python
        self.lib_events = 20000 if smoke else 1000000
        self.backlog = 5000 if smoke else 1000000          # outage
        self.latency_rates = [1000] if smoke else [1000, 10000, 100000]
        self.latency_seconds = 1 if smoke else 3
        self.competitor_latency_rate = 1000 if smoke else 10000
        self.dd_mib = 8 if smoke else 256
        self.replay_events = 10000 if smoke else 1000000
        self.journal_mib = 8 if smoke else 1024
        self.proto_events = 2000 if smoke else 200000
        self.pg_events = 300 if smoke else 50000
        self.tmp_root = tempfile.mkdtemp(prefix="agentlog-bench-")

    def tool(self, *path):
        p = os.path.join(self.build, *path)
        if not os.access(p, os.X_OK):
            raise FileNotFoundError("%s not built" % p)
        return p

    def tmpdir(self, name):
        """A fresh directory under the run's temporary root."""
        d = tempfile.mkdtemp(prefix=name + "-", dir=self.tmp_root)
        return d

    def cleanup(self):
        shutil.rmtree(self.tmp_root, ignore_errors=True)


def run(argv, timeout=900, env=None, check=True, ok=(0,)):
    """Run a benchmark program; returns its stdout (raises with its output
    when it exits with a status not in ok)."""
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout, env=env)
    if check and p.returncode not in ok:
        raise RuntimeError("%s exited %d:\n%s%s" % (
            " ".join(argv), p.returncode, p.stdout[-2000:], p.stderr[-2000:]))
    return p.stdout


def kv(line):
    """{"key": value} of a line's key=value words (numbers as floats)."""
    out = {}
    for w in line.split():
        if "=" in w:
            k, v = w.split("=", 1)
            try:
                out[k] = float(v)
            except ValueError:
                out[k] = v
    return out


def last_kv(text, first_word):
    """kv() of the last line of text starting with first_word."""
    lines = [l for l in text.splitlines() if l.startswith(first_word)]
    if not lines:
        raise RuntimeError("no line starting with %r in:\n%s"
                           % (first_word, text[-2000:]))
    return kv(lines[-1])


class Row:
    """One line of the table: a figure measured `runs` times."""

    def __init__(self, scenario, key, name, unit, values, baseline=None,
                 ratios=None, better="higher", note=""):
        self.scenario, self.key, self.name, self.unit = scenario, key, name, unit
        self.values = [float(v) for v in values]
        self.baseline, self.ratios = baseline, ratios
        self.better, self.note = better, note

    @property
    def median(self):
        return statistics.median(self.values) if self.values else None


class Results:
    def __init__(self):
        self.rows = []
        self.notes = {}          # scenario -> text under its table
        self.skipped = []        # (scenario, why)

    def add(self, scenario, key, name, *a, **kw):
        name = re.sub(r"\b1 senders\b", "1 sender", name)
        r = Row(scenario, key, name, *a, **kw)
        self.rows.append(r)
        log("  %-50s median %s %s (%d runs)" % (
            r.name[:50], fmt(r.median), r.unit, len(r.values)))
        return r

    def get(self, key):
        for r in self.rows:
            if r.key == key:
                return r
        return None

    def ratio(self, row):
        """The row's ratio to its baseline: the median of per-run ratios
        when the runs were paired, else the ratio of the medians."""
        if row.ratios:
            return statistics.median(row.ratios)
        b = self.get(row.baseline) if row.baseline else None
        if not b or not b.median or row.median is None:
            return None
        return row.median / b.median


def fmt(v):
    if v is None:
        return "n/a"
    if v == 0:
        return "0"
    if abs(v) >= 10000:
        return "{:,.0f}".format(v)
    if abs(v) >= 100:
        return "%.0f" % v
    if abs(v) >= 10:
        return "%.1f" % v
    if abs(v) >= 1:
        return "%.2f" % v
    return "%.3f" % v
