"""Where a client's events land, for tests of things that publish through
agentlogctl (hooks, scripts): a real agentlogd, read back from its
journal, or no daemon at all, read back from the inbox the client falls
back to.  Both read through `agentlogctl journal`."""
import json
import os
import subprocess
import time

BUILD = os.environ.get("AGENTLOG_BUILD", os.path.join(os.getcwd(), "build"))
AGENTLOGCTL = os.path.join(BUILD, "client", "agentlogctl")
AGENTLOGD = os.path.join(BUILD, "daemon", "agentlogd")

try:
    from daemon import Daemon  # tests/lib/daemon.py (the daemon's harness)
except ImportError:
    Daemon = None


def have_daemon():
    return Daemon is not None and os.access(AGENTLOGD, os.X_OK)


def _records(journal_dir, what):
    p = subprocess.run([AGENTLOGCTL, "journal", "--journal-dir", journal_dir, what],
                       capture_output=True, text=True)
    if p.returncode != 0:      # nothing written yet
        return []
    return [json.loads(l)["value"] for l in p.stdout.splitlines()]


class InboxSink:
    """agentlogd is down: the socket path names nothing."""
    name = "inbox"

    def __init__(self, tmp):
        self.journal_dir = os.path.join(tmp, "journal")
        self.sock = os.path.join(tmp, "run", "agentlogd.sock")

    def events(self, n, timeout=20.0):
        return _records(self.journal_dir, "inbox")

    def close(self):
        pass


class DaemonSink:
    """A real agentlogd (journal only); events come from its journal."""
    name = "daemon"

    def __init__(self, tmp):
        self.d = Daemon(tmp=tmp)
        self.journal_dir = self.d.journal_dir
        self.sock = self.d.sock

    def events(self, n, timeout=20.0):
        """At least n events, or what there is after timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            evs = _records(self.journal_dir, "dump")
            if len(evs) >= n or time.monotonic() > deadline:
                return evs
            time.sleep(0.01)

    def close(self):
        self.d.cleanup()


def client_env(sink, **extra):
    """The environment of a publishing process pointed at sink only, with
    the build's agentlogctl first on PATH."""
    env = dict(os.environ)
    for k in ("AGENTLOG_CORRELATION_ID", "CORRELATION_ID", "AGENTLOG_AGENT",
              "AGENTLOG_DGRAM_SOCKET"):
        env.pop(k, None)
    env["AGENTLOG_SOCKET"] = sink.sock
    env["AGENTLOG_JOURNAL_DIR"] = sink.journal_dir
    env["PATH"] = os.path.dirname(AGENTLOGCTL) + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env
