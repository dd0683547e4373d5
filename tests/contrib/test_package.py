"""The Debian package, the way users get it: configure a build with the
prefix /usr, `cpack -G DEB`, `dpkg -i` it on this machine, run agentlogd
--version and a send/status round trip from the installed paths (and a
program built against the installed header and library), then `dpkg -r`
and purge it, leaving the machine as it was.

Needs root (CI runs as root) and dpkg; skipped otherwise.  Refuses to run
when a package named agentlog is already installed."""
import fnmatch
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import socket
import time
import unittest
import urllib.request
import uuid

SOURCE = os.environ.get("AGENTLOG_SOURCE", os.getcwd())
CMAKE = os.environ.get("CMAKE_COMMAND") or shutil.which("cmake")
CPACK = os.environ.get("CPACK_COMMAND") or shutil.which("cpack")
HAVE_DAEMON = os.path.exists(os.path.join(SOURCE, "daemon", "main.c"))


def run(args, check=True, **kw):
    p = subprocess.run(args, capture_output=True, text=True, timeout=600, **kw)
    if check and p.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s%s" % (" ".join(args), p.returncode,
                                                        p.stdout[-4000:], p.stderr[-4000:]))
    return p


def installed(pkg):
    p = run(["dpkg-query", "-W", "-f", "${Status}", pkg], check=False)
    return p.returncode == 0 and "installed" in p.stdout.split()


def dpkg_excluded():
    """A predicate: does dpkg leave this path out (path-exclude in
    /etc/dpkg/dpkg.cfg.d, as slim container images have for man pages)?"""
    rules = []
    for cfg in ["/etc/dpkg/dpkg.cfg"] + sorted(glob.glob("/etc/dpkg/dpkg.cfg.d/*")):
        try:
            with open(cfg) as f:
                for line in f:
                    m = re.match(r"\s*(path-exclude|path-include)[= ]\s*(\S+)", line)
                    if m:
                        rules.append((m.group(1) == "path-exclude", m.group(2)))
        except OSError:
            pass

    def excluded(path):
        out = False
        for exclude, pattern in rules:      # the last matching rule wins
            if fnmatch.fnmatch(path, pattern):
                out = exclude
        return out
    return excluded


def multiarch():
    p = run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"], check=False)
    if p.returncode == 0:
        return p.stdout.strip()
    return run(["gcc", "-print-multiarch"]).stdout.strip()


@unittest.skipUnless(os.geteuid() == 0, "not root: dpkg -i needs root (CI runs as root)")
@unittest.skipUnless(shutil.which("dpkg") and CMAKE and CPACK, "dpkg, cmake or cpack missing")
@unittest.skipUnless(shutil.which("dpkg-shlibdeps"),
                     "dpkg-shlibdeps missing (Debian package dpkg-dev): CPack computes Depends with it")
class DebianPackage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if installed("agentlog"):
            raise unittest.SkipTest("a package named agentlog is installed already: "
                                    "not touching it")
        cls.tmp = tempfile.mkdtemp(prefix="agentlog-deb-")
        build = os.path.join(cls.tmp, "build")
        run([CMAKE, "-S", SOURCE, "-B", build, "-DCMAKE_INSTALL_PREFIX=/usr",
             "-DAGENTLOG_TESTS=OFF", "-DCMAKE_BUILD_TYPE=RelWithDebInfo"])
        run([CMAKE, "--build", build, "-j2"])
        run([CPACK, "-G", "DEB"], cwd=build)
        debs = glob.glob(os.path.join(build, "agentlog_*.deb"))
        assert len(debs) == 1, debs
        cls.deb = debs[0]
        cls.had_group = run(["getent", "group", "agentlog"], check=False).returncode == 0

    @classmethod
    def tearDownClass(cls):
        if installed("agentlog") or run(["dpkg", "-s", "agentlog"], check=False).returncode == 0:
            run(["dpkg", "-P", "agentlog"], check=False)
        if not cls.had_group and run(["getent", "group", "agentlog"], check=False).returncode == 0:
            run(["groupdel", "agentlog"], check=False)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_contents_install_run_remove(self):
        ma = multiarch()
        files = set(l.split()[5].lstrip(".") for l in
                    run(["dpkg-deb", "-c", self.deb]).stdout.splitlines())
        want = ["/usr/bin/agentlogctl", "/usr/include/agentlog.h",
                "/usr/lib/%s/libagentlog.so.0" % ma, "/usr/lib/%s/libagentlog.so" % ma,
                "/usr/lib/%s/agentlog/agentlog-kafka.so" % ma,
                "/usr/lib/%s/agentlog/agentlogctl-view" % ma,
                "/usr/lib/systemd/user/agentlogd.service",
                "/usr/lib/systemd/user/agentlogd.socket",
                "/usr/share/man/man1/agentlogctl.1", "/usr/share/man/man8/agentlogd.8",
                "/usr/share/bash-completion/completions/agentlogctl",
                "/usr/share/zsh/vendor-completions/_agentlogctl",
                "/usr/share/agentlog/hooks/settings.json"]
        if os.path.exists(os.path.join(SOURCE, "contrib", "pgwriter")):
            want += ["/usr/bin/agentlog-pgwriter", "/usr/share/man/man8/agentlog-pgwriter.8",
                     "/usr/lib/systemd/system/agentlog-pgwriter.service"]
        if HAVE_DAEMON:
            want += ["/usr/bin/agentlogd", "/usr/lib/%s/agentlog/agentlogd-metrics.so" % ma,
                     "/usr/lib/systemd/system/agentlogd.service",
                     "/usr/lib/systemd/system/agentlogd.socket"]
        for f in want:
            self.assertIn(f, files)
        control = run(["dpkg-deb", "-f", self.deb, "Depends"]).stdout
        if HAVE_DAEMON:
            self.assertIn("libuv1", control)
        self.assertIn("libcjson1", control)

        run(["dpkg", "-i", self.deb])
        self.assertTrue(installed("agentlog"))
        self.assertEqual(run(["getent", "group", "agentlog"], check=False).returncode, 0)
        excluded = dpkg_excluded()
        for f in want:
            self.assertTrue(os.path.lexists(f) or excluded(f), f)
        if shutil.which("man") and not excluded("/usr/share/man/man1/agentlogctl.1"):
            self.assertEqual(run(["man", "-w", "agentlogctl"]).stdout.strip(),
                             "/usr/share/man/man1/agentlogctl.1")
        v = run(["/usr/bin/agentlogctl", "--version"]).stdout
        self.assertTrue(v.startswith("agentlogctl 0.1.0"), v)
        # The Kafka reader module is found where it was installed.
        p = run(["/usr/bin/agentlogctl", "trace", str(uuid.uuid4()), "--from", "kafka",
                 "--brokers", "127.0.0.1:9", "--timeout", "300"], check=False)
        self.assertNotIn("dlopen", p.stderr)
        if HAVE_DAEMON:
            self.round_trip()

        run(["dpkg", "-r", "agentlog"])
        self.assertFalse(installed("agentlog"))
        for f in want:
            self.assertFalse(os.path.lexists(f), f)
        run(["dpkg", "-P", "agentlog"])
        self.assertNotEqual(run(["dpkg", "-s", "agentlog"], check=False).returncode, 0)

    def round_trip(self):
        v = run(["/usr/bin/agentlogd", "--version"]).stdout
        self.assertTrue(v.startswith("agentlogd 0.1.0"), v)
        tmp = os.path.join(self.tmp, "run")
        sock = os.path.join(tmp, "s", "agentlogd.sock")
        jdir = os.path.join(tmp, "journal")
        os.makedirs(tmp)
        env = dict(os.environ)
        for k in ("AGENTLOG_SOCKET", "AGENTLOG_JOURNAL_DIR", "AGENTLOG_CORRELATION_ID",
                  "NOTIFY_SOCKET", "KAFKA_BROKERS"):
            env.pop(k, None)
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        with open(os.path.join(tmp, "agentlogd.log"), "wb") as log:
            d = subprocess.Popen(["/usr/bin/agentlogd", "--no-kafka", "--socket", sock,
                                  "--journal-dir", jdir, "--metrics-listen",
                                  "127.0.0.1:%d" % port], stdout=log, stderr=log, env=env)
        try:
            deadline = time.monotonic() + 20
            while run(["/usr/bin/agentlogctl", "ping", "--socket", sock],
                      check=False).returncode != 0:
                self.assertIsNone(d.poll(), "agentlogd exited")
                self.assertLess(time.monotonic(), deadline, "agentlogd never answered")
                time.sleep(0.02)
            cid = str(uuid.uuid4())
            p = run(["/usr/bin/agentlogctl", "log-agent-action", "--agent", "deb-test",
                     "--action-type", "success", "--action-name", "installed",
                     "--correlation-id", cid, "--socket", sock, "--journal-dir", jdir,
                     "--wait"], env=env)
            uuid.UUID(p.stdout.strip())                       # the event id
            self.library_send(sock, cid, env)
            hook = run(["/usr/bin/agentlogctl", "hook", "claude-code", "--socket", sock,
                        "--journal-dir", jdir, "--timeout", "1000"], env=env,
                       input=json.dumps({"session_id": cid, "hook_event_name": "Stop",
                                         "cwd": "/"}))
            self.assertEqual((hook.returncode, hook.stdout), (0, ""), hook.stderr)
            deadline = time.monotonic() + 20
            while True:
                st = json.loads(run(["/usr/bin/agentlogctl", "status", "--json", "--socket",
                                     sock]).stdout)
                if st["events"]["accepted"] >= 3 or time.monotonic() > deadline:
                    break
                time.sleep(0.02)
            self.assertEqual(st["events"]["accepted"], 3, st)
            recs = [json.loads(l) for l in run(["/usr/bin/agentlogctl", "journal",
                                                "--journal-dir", jdir, "dump"]).stdout.splitlines()]
            self.assertEqual([r["value"]["action_name"] for r in recs],
                             ["installed", "from-libagentlog", "stop"])
            self.assertTrue(all(r["key"] == cid for r in recs))
            # The metrics module is found where it was installed (its
            # figures are a snapshot taken once a second).
            want = 'agentlogd_events_accepted_total{type="agent_action"} 3\n'
            deadline = time.monotonic() + 20
            while True:
                with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                            timeout=5) as r:
                    text = r.read().decode()
                if want in text or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            self.assertIn(want, text)
        finally:
            d.send_signal(signal.SIGTERM)
            self.assertEqual(d.wait(30), 0)

    def library_send(self, sock, cid, env):
        """A program built against the installed header and library."""
        cc = shutil.which("cc") or shutil.which("gcc")
        if not cc:
            self.skipTest("no C compiler")
        src = os.path.join(self.tmp, "send.c")
        with open(src, "w") as f:
            f.write('''#include <agentlog.h>
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv)
{
	struct agentlog_opts o;
	agentlog_t *h;
	char ev[512], id[AGENTLOG_UUID_LEN + 1];
	agentlog_opts_init(&o);
	o.socket_path = argv[1];
	if (agentlog_open(&h, &o) != 0)
		return 1;
	snprintf(ev, sizeof ev, "{\\"type\\":\\"agent_action\\",\\"correlation_id\\":\\"%%s\\","
		 "\\"agent_name\\":\\"deb-test\\",\\"action_type\\":\\"success\\","
		 "\\"action_name\\":\\"from-libagentlog\\"}", argv[2]);
	int rc = agentlog_send_wait(h, ev, strlen(ev), id);
	if (rc != 0)
		fprintf(stderr, "%%s\\n", agentlog_error(h));
	agentlog_close(h);
	return rc != 0;
}
''' .replace("%%", "%"))
        exe = os.path.join(self.tmp, "send")
        run([cc, "-o", exe, src, "-lagentlog"])           # /usr/include, /usr/lib
        run([exe, sock, cid], env=env)


if __name__ == "__main__":
    unittest.main(verbosity=2)
