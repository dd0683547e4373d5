"""contrib/grafana and contrib/prometheus: the dashboard is JSON, the alert
rules are YAML (and pass promtool when it is installed), and every metric
they name is one the programs export: read from a live scrape of agentlogd
(--metrics-listen) and agentlog-pgwriter (/metrics/prometheus); the man
pages' lists of metrics are checked the same way.  The seed's five key
metrics, the journal backlog and drops are all on the dashboard."""
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

try:
    import yaml       # Debian: python3-yaml
except ImportError:
    yaml = None

from sink import have_daemon

BUILD = os.environ.get("AGENTLOG_BUILD", os.path.join(os.getcwd(), "build"))
SOURCE = os.environ.get("AGENTLOG_SOURCE", os.getcwd())
DASHBOARD = os.path.join(SOURCE, "contrib", "grafana", "agentlog-dashboard.json")
RULES = os.path.join(SOURCE, "contrib", "prometheus", "agentlog-alerts.yml")
RULE_TESTS = os.path.join(SOURCE, "tests", "contrib", "alerts_test.yml")
PGWRITER = os.path.join(BUILD, "contrib", "pgwriter", "agentlog-pgwriter")

FUNCTIONS = {
    "abs", "absent", "absent_over_time", "avg", "avg_over_time", "bottomk", "ceil",
    "changes", "clamp", "clamp_max", "clamp_min", "count", "count_over_time",
    "count_values", "delta", "deriv", "exp", "floor", "group", "histogram_quantile",
    "idelta", "increase", "irate", "label_join", "label_replace", "last_over_time",
    "ln", "log10", "log2", "max", "max_over_time", "min", "min_over_time",
    "predict_linear", "present_over_time", "quantile", "quantile_over_time", "rate",
    "resets", "round", "scalar", "sort", "sort_desc", "sqrt", "stddev", "stdvar", "sum",
    "sum_over_time", "time", "timestamp", "topk", "vector",
}
KEYWORDS = {"and", "or", "unless", "bool", "offset"}
# Labels Prometheus adds to every scraped series.
TARGET_LABELS = {"instance", "job"}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_get(url, timeout=2.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def wait_for(cond, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        try:
            v = cond()
        except OSError:
            v = None
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.02)


def exposition(text):
    """{metric name: set of label names} from Prometheus text."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"# TYPE (\S+) ", line)
        if m:
            out.setdefault(m.group(1), set())
            continue
        m = re.match(r"([a-zA-Z_:][\w:]*)(\{([^}]*)\})? ", line)
        if m:
            out.setdefault(m.group(1), set()).update(
                re.findall(r"(\w+)=\"", m.group(3) or ""))
    return out


def scrape_daemon():
    from daemon import Daemon
    port = free_port()
    with Daemon(args=["--metrics-listen", "127.0.0.1:%d" % port]) as d:
        d.send(b'{"type":"agent_action"}\n')     # one rejection: a reason label
        text = wait_for(lambda: (lambda t: t if "agentlogd_rejections_total{" in t
                                 else None)(http_get("http://127.0.0.1:%d/metrics" % port)),
                        what="agentlogd's metrics")
    return exposition(text)


def scrape_pgwriter():
    """agentlog-pgwriter serves its metrics before it reaches PostgreSQL
    or Kafka: point it at closed ports and scrape."""
    port = free_port()
    p = subprocess.Popen([PGWRITER, "--http-listen", "127.0.0.1:%d" % port,
                          "--pg-host", "127.0.0.1", "--pg-port", str(free_port()),
                          "--brokers", "127.0.0.1:%d" % free_port(), "--retry-max-ms", "1000"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        text = wait_for(lambda: http_get("http://127.0.0.1:%d/metrics/prometheus" % port),
                        what="agentlog-pgwriter's metrics")
    finally:
        p.kill()
        p.wait()
    names = exposition(text)
    # Labelled series show up once there is a partition: take their labels
    # from the source.
    with open(os.path.join(SOURCE, "contrib", "pgwriter", "metrics.c")) as f:
        for name, labels in re.findall(r'"(agentlog_pgwriter_\w+)\{([^}"]*)', f.read()):
            names.setdefault(name, set()).update(re.findall(r"(\w+)=", labels))
    return names


def promql_names(expr):
    """The metric names and label names a PromQL expression uses; fails on
    an unknown function."""
    e = re.sub(r'"(?:\\.|[^"\\])*"', '""', expr)
    labels = set()
    for m in re.finditer(r"\{([^}]*)\}", e):
        labels |= set(re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", m.group(1)))
    e = re.sub(r"\{[^}]*\}", " ", e)
    e = re.sub(r"\[[^\]]*\]", " ", e)
    for m in re.finditer(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", e):
        labels |= set(re.findall(r"\w+", m.group(1)))
    e = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    metrics = set()
    for m in re.finditer(r"(?<![\w.$])[a-zA-Z_:][\w:]*", e):
        tok = m.group(0)
        if tok in KEYWORDS:
            continue
        if e[m.end():].lstrip().startswith("("):
            assert tok in FUNCTIONS, "unknown function %s in %s" % (tok, expr)
        else:
            metrics.add(tok)
    return metrics, labels


def dashboard_queries(dash):
    """Every PromQL expression of the dashboard: panel targets and the
    metric of each label_values() variable."""
    exprs = []
    for p in dash["panels"]:
        for t in p.get("targets", []):
            exprs.append(t["expr"])
    for v in dash["templating"]["list"]:
        if v["type"] == "query":
            m = re.match(r"label_values\((\w+),\s*(\w+)\)\s*$", v["definition"])
            assert m, v["definition"]
            exprs.append("%s{%s!=\"\"}" % (m.group(1), m.group(2)))
    return exprs


class Dashboards(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.exported = {}
        if have_daemon():
            cls.exported.update(scrape_daemon())
        if os.access(PGWRITER, os.X_OK):
            cls.exported.update(scrape_pgwriter())

    def need(self, prefix):
        if not any(n.startswith(prefix) for n in self.exported):
            self.skipTest("no %s* metrics: program not built" % prefix)

    def check_exprs(self, exprs, where):
        used = set()
        for e in exprs:
            metrics, labels = promql_names(e)
            for n in metrics:
                self.assertIn(n, self.exported, "%s: %s is not exported (in %s)" % (where, n, e))
            for lab in labels:
                ok = lab in TARGET_LABELS or any(lab in self.exported[n] for n in metrics)
                self.assertTrue(ok, "%s: label %s of %s" % (where, lab, e))
            used |= metrics
        return used

    def test_dashboard(self):
        self.need("agentlogd_")
        self.need("agentlog_pgwriter_")
        with open(DASHBOARD) as f:
            dash = json.load(f)
        self.assertEqual(dash["uid"], "agentlog-overview")
        ids = [p["id"] for p in dash["panels"]]
        self.assertEqual(len(ids), len(set(ids)))
        for p in dash["panels"]:
            if p["type"] != "row":
                self.assertTrue(p["targets"], p["title"])
                self.assertEqual(p["datasource"]["uid"], "${datasource}")
        used = self.check_exprs(dashboard_queries(dash), "dashboard")
        # The seed's five key metrics, the journal backlog and drops.
        for n in ("agentlog_pgwriter_consumer_lag",                   # consumer lag
                  "agentlogd_kafka_delivered_total", "agentlogd_kafka_failed_total",
                  "agentlogd_publish_success_ratio",                  # publish success
                  "agentlogd_events_accepted_total",                  # throughput
                  "agentlog_pgwriter_messages_inserted_total",
                  "agentlog_pgwriter_avg_batch_processing_ms",        # latency
                  "agentlogd_journal_oldest_age_seconds",
                  "agentlogd_events_rejected_total",                  # error rate
                  "agentlog_pgwriter_messages_failed_total",
                  "agentlogd_journal_backlog_events",                 # backlog
                  "agentlogd_dropped_total"):                         # drops
            self.assertIn(n, used)
        titles = " ".join(p["title"] for p in dash["panels"])
        for t in ("Consumer lag", "Publish success rate", "Message throughput",
                  "Processing latency", "Error rate", "Journal backlog", "Drops"):
            self.assertIn(t, titles)

    def test_alert_rules(self):
        self.need("agentlogd_")
        self.need("agentlog_pgwriter_")
        if yaml is None:
            self.skipTest("python3-yaml is not installed")
        with open(RULES) as f:
            doc = yaml.safe_load(f)
        exprs, names = [], set()
        for g in doc["groups"]:
            for r in g["rules"]:
                self.assertNotIn(r["alert"], names)
                names.add(r["alert"])
                self.assertIn(r["labels"]["severity"], ("warning", "critical"))
                self.assertIn("summary", r["annotations"])
                exprs.append(r["expr"])
                for text in r["annotations"].values():      # templates' queries
                    for n in re.findall(r"\b(?:agentlogd|agentlog_pgwriter)_\w+", text):
                        self.assertIn(n, self.exported, "%s: %s" % (r["alert"], n))
        used = self.check_exprs(exprs, "alert rules")
        for n in ("agentlogd_dropped_total", "agentlogd_journal_oldest_age_seconds",
                  "agentlogd_kafka_failed_total", "agentlog_pgwriter_consumer_lag",
                  "agentlog_pgwriter_database_up"):
            self.assertIn(n, used)

    def test_promtool(self):
        promtool = shutil.which("promtool")
        if not promtool:
            self.skipTest("promtool is not installed (Debian package prometheus)")
        p = subprocess.run([promtool, "check", "rules", RULES], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with tempfile.TemporaryDirectory() as tmp:
            # promtool resolves rule_files relative to the test file.
            os.makedirs(os.path.join(tmp, "tests", "contrib"))
            os.makedirs(os.path.join(tmp, "contrib", "prometheus"))
            shutil.copy(RULE_TESTS, os.path.join(tmp, "tests", "contrib"))
            shutil.copy(RULES, os.path.join(tmp, "contrib", "prometheus"))
            p = subprocess.run([promtool, "test", "rules", "alerts_test.yml"],
                               cwd=os.path.join(tmp, "tests", "contrib"),
                               capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_man_pages_list_the_metrics(self):
        for page, prefix in (("agentlogd.8", "agentlogd_"),
                             ("agentlog-pgwriter.8", "agentlog_pgwriter_")):
            if not any(n.startswith(prefix) for n in self.exported):
                continue
            with open(os.path.join(SOURCE, "contrib", "man", page)) as f:
                src = f.read().replace("\\-", "-")
            listed = set(re.findall(r"\b%s\w+" % prefix, src))
            exported = {n for n in self.exported if n.startswith(prefix)}
            self.assertEqual(listed, exported, page)


if __name__ == "__main__":
    unittest.main(verbosity=2)
