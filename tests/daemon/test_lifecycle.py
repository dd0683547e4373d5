"""agentlogd's life: flags, SIGTERM after a burst, restart, SIGHUP, notify."""
import os
import signal
import socket
import subprocess
import tempfile
import threading
import unittest
import urllib.request
import uuid

from daemon import AGENTLOGD, Daemon, line, make_event, wait_for


class LifecycleTest(unittest.TestCase):
    def test_help_version_check_config(self):
        p = subprocess.run([AGENTLOGD, "--help"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        self.assertIn("--journal-dir", p.stdout)
        p = subprocess.run([AGENTLOGD, "--version"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"agentlogd \d+\.\d+\.\d+ \(wire protocol 1")
        p = subprocess.run([AGENTLOGD, "--bogus"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        p = subprocess.run([AGENTLOGD, "--fsync", "sometimes"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--fsync", p.stderr)
        p = subprocess.run([AGENTLOGD, "--check-config", "--kafka-prop", "no.such.prop=1"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("no.such.prop", p.stderr)
        p = subprocess.run([AGENTLOGD, "--check-config", "--socket", "/tmp/x.sock",
                            "--kafka-prop", "compression.type=zstd"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("configuration OK", p.stdout)

    def test_sigterm_after_burst_loses_nothing(self):
        with Daemon() as d:
            cid = str(uuid.uuid4())
            n = 20000
            data = b"".join(line(make_event("agent_action", cid, action_name="b%d" % i)) for i in range(n))
            s = d.connect()
            s.sendall(data)          # all of it is in the kernel or read by now
            self.assertEqual(d.stop(signal.SIGTERM), 0)
            s.close()
            names = [r["event"]["action_name"] for r in d.journal() if r["key"] == cid]
            self.assertEqual(names, ["b%d" % i for i in range(n)])

    def test_journal_dir_parents_created(self):
        tmp = tempfile.mkdtemp(prefix="agentlog-jdir-")
        self.addCleanup(subprocess.run, ["rm", "-rf", tmp])
        jdir = os.path.join(tmp, "fresh", ".local", "state", "agentlog")
        with Daemon(tmp=tmp, journal_dir=jdir) as d:
            d.send_ack([make_event("agent_action")])
            self.assertEqual(len(d.journal()), 1)
            self.assertEqual(os.stat(jdir).st_mode & 0o777, 0o700)

    def test_restart_keeps_journal_and_sequence(self):
        with Daemon() as d:
            a = make_event("agent_action")
            d.send_ack([a])
            d.restart()
            b = make_event("agent_action")
            d.send_ack([b])
            recs = d.journal()
            keys = [r["key"] for r in recs]
            self.assertIn(a["correlation_id"], keys)
            self.assertIn(b["correlation_id"], keys)
            seqs = [r["seq"] for r in recs]
            self.assertEqual(seqs, sorted(set(seqs)))

    def test_sighup_reopens_log_file(self):
        tmp = tempfile.mkdtemp(prefix="agentlog-hup-")
        self.addCleanup(subprocess.run, ["rm", "-rf", tmp])
        logf = os.path.join(tmp, "agentlogd.log")
        with Daemon(tmp=tmp, args=["--log-file", logf]) as d:
            wait_for(lambda: os.path.exists(logf) and "ready" in open(logf).read())
            os.rename(logf, logf + ".1")
            d.proc.send_signal(signal.SIGHUP)
            wait_for(lambda: os.path.exists(logf) and "log reopened" in open(logf).read(),
                     what="a new log file after SIGHUP")

    def test_sd_notify_ready_and_stopping(self):
        tmp = tempfile.mkdtemp(prefix="agentlog-notify-")
        self.addCleanup(subprocess.run, ["rm", "-rf", tmp])
        path = os.path.join(tmp, "notify")
        ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        ns.bind(path)
        ns.settimeout(15)
        self.addCleanup(ns.close)
        d = Daemon(tmp=tmp, env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"}, start=False)
        self.addCleanup(d.cleanup)
        d.start(wait=False)
        msgs = []
        while "READY=1" not in msgs:
            msgs.append(ns.recv(4096).decode())
        while not any("WATCHDOG=1" in m for m in msgs):
            msgs.append(ns.recv(4096).decode())
        d.proc.send_signal(signal.SIGTERM)
        while "STOPPING=1" not in msgs:
            msgs.append(ns.recv(4096).decode())
        self.assertEqual(d.stop(), 0)

    def test_systemd_socket_activation(self):
        tmp = tempfile.mkdtemp(prefix="agentlog-act-")
        self.addCleanup(subprocess.run, ["rm", "-rf", tmp])
        sock = os.path.join(tmp, "act.sock")
        ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ls.bind(sock)
        ls.listen()
        fd = ls.fileno()
        # The child gets the listening socket as fd 3, LISTEN_PID set to its own pid.
        code = ("import os,sys; os.dup2(%d,3); os.environ['LISTEN_PID']=str(os.getpid()); "
                "os.environ['LISTEN_FDS']='1'; os.execv(sys.argv[1], sys.argv[1:])" % fd)
        jdir = os.path.join(tmp, "j")
        p = subprocess.Popen(["/usr/bin/python3", "-c", code, AGENTLOGD, "--socket",
                              os.path.join(tmp, "unused.sock"), "--dgram-socket", "none",
                              "--journal-dir", jdir, "--no-kafka"], pass_fds=(fd,),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: (p.poll() is None and p.kill(), p.wait()))
        ls.close()

        def ping():
            try:
                c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                c.settimeout(2)
                c.connect(sock)
                c.sendall(b".ping\n")
                data = c.recv(200)
                c.close()
                return data
            except OSError:
                return None
        self.assertIn(b"pong", wait_for(ping, what="the activated socket to answer"))
        self.assertFalse(os.path.exists(os.path.join(tmp, "unused.sock")))
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(30), 0)


class MetricsTest(unittest.TestCase):
    def free_port(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        return port

    def test_prometheus_endpoint(self):
        port = self.free_port()
        with Daemon(args=["--metrics-listen", "127.0.0.1:%d" % port]) as d:
            d.send_ack([make_event("agent_action"), make_event("agent_action"),
                        make_event("routing_decision", confidence_score=7)])
            url = "http://127.0.0.1:%d/metrics" % port

            def scrape():
                body = urllib.request.urlopen(url, timeout=5).read().decode()
                return body if 'agentlogd_events_accepted_total{type="agent_action"} 2' in body else None
            body = wait_for(scrape, what="the metrics snapshot to show 2 accepted")
            self.assertIn('agentlogd_events_rejected_total{type="routing_decision"} 1', body)
            self.assertIn('agentlogd_rejections_total{reason="confidence_score"} 1', body)
            self.assertIn("agentlogd_kafka_enabled 0", body)
            for name in ("agentlogd_journal_backlog_events", "agentlogd_kafka_up",
                         "agentlogd_publish_success_ratio", "agentlogd_events_per_second"):
                self.assertIn("# TYPE " + name, body)
            with self.assertRaises(urllib.error.HTTPError) as e:
                urllib.request.urlopen("http://127.0.0.1:%d/nope" % port, timeout=5)
            self.assertEqual(e.exception.code, 404)


class GroupTest(unittest.TestCase):
    @unittest.skipUnless(os.geteuid() == 0, "needs root to give the socket to another group")
    def test_socket_group(self):
        import grp
        g = grp.getgrnam("daemon")
        tmp = tempfile.mkdtemp(prefix="agentlog-grp-")
        self.addCleanup(subprocess.run, ["rm", "-rf", tmp])
        with Daemon(tmp=tmp, args=["--socket-group", "daemon"]) as d:
            st = os.stat(d.sock)
            self.assertEqual(st.st_gid, g.gr_gid)
            self.assertEqual(st.st_mode & 0o777, 0o660)
            self.assertEqual(os.stat(os.path.dirname(d.sock)).st_mode & 0o777, 0o750)


if __name__ == "__main__":
    unittest.main(verbosity=2)
