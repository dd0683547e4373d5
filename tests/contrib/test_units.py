"""contrib/systemd and contrib/launchd: the units pass `systemd-analyze
verify` (system and --user) without a word, carry what the issue asks
(Type=notify, a watchdog, state and runtime directories, sandboxing), put
the sockets where clients look for them, and score a low exposure in
`systemd-analyze security`; the launchd plist is well-formed and asks for
socket activation and KeepAlive.

systemd-analyze comes with Debian's systemd package: without it the
systemd tests are skipped (the plist test still runs)."""
import glob
import json
import os
import plistlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

BUILD = os.environ.get("AGENTLOG_BUILD", os.path.join(os.getcwd(), "build"))
SOURCE = os.environ.get("AGENTLOG_SOURCE", os.getcwd())
SYSTEMD = os.path.join(SOURCE, "contrib", "systemd")
LAUNCHD = os.path.join(SOURCE, "contrib", "launchd")
AGENTLOGCTL = os.path.join(BUILD, "client", "agentlogctl")
BINARIES = {
    "agentlogd": os.path.join(BUILD, "daemon", "agentlogd"),
    "agentlog-pgwriter": os.path.join(BUILD, "contrib", "pgwriter", "agentlog-pgwriter"),
}
ANALYZE = shutil.which("systemd-analyze")


def parse_unit(path):
    """[(section, key, value)] of a unit file (keys may repeat)."""
    out, section = [], None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line.strip("[]")
                continue
            k, _, v = line.partition("=")
            out.append((section, k.strip(), v.strip()))
    return out


def values(unit, section, key):
    return [v for s, k, v in unit if s == section and k == key]


def one(unit, section, key):
    v = values(unit, section, key)
    assert len(v) == 1, (section, key, v)
    return v[0]


def binary_of(path):
    """The program a service starts (None for a socket unit)."""
    if not path.endswith(".service"):
        return None
    with open(path) as f:
        m = re.search(r"^ExecStart=@CMAKE_INSTALL_FULL_BINDIR@/(\S+)", f.read(), re.M)
    assert m, "%s: ExecStart does not start @CMAKE_INSTALL_FULL_BINDIR@/..." % path
    return m.group(1)


class SystemdUnits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="agentlog-units-")
        # Man pages where `man` (called by verify for Documentation=) finds them.
        for page in glob.glob(os.path.join(SOURCE, "contrib", "man", "*.[18]")):
            d = os.path.join(cls.tmp, "man", "man" + page[-1])
            os.makedirs(d, exist_ok=True)
            shutil.copy(page, d)
        # The built programs, where the rendered units start them.
        cls.bindir = os.path.join(cls.tmp, "bin")
        os.makedirs(cls.bindir)
        for name, path in BINARIES.items():
            if os.access(path, os.X_OK):
                os.symlink(path, os.path.join(cls.bindir, name))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def units(self, scope):
        d = SYSTEMD if scope == "system" else os.path.join(SYSTEMD, "user")
        return sorted(glob.glob(os.path.join(d, "*.service")) +
                      glob.glob(os.path.join(d, "*.socket")))

    def render(self, scope):
        """The units of scope with the build's programs filled in, in a
        directory of their own; units whose program is not built are left
        out (named in the returned list)."""
        out = os.path.join(self.tmp, "units-" + scope)
        os.makedirs(out, exist_ok=True)
        rendered, missing = [], []
        for src in self.units(scope):
            prog = binary_of(src)
            if prog and not os.path.exists(os.path.join(self.bindir, prog)):
                missing.append(os.path.basename(src))
                continue
            with open(src) as f:
                text = f.read().replace("@CMAKE_INSTALL_FULL_BINDIR@", self.bindir)
            dst = os.path.join(out, os.path.basename(src))
            with open(dst, "w") as f:
                f.write(text)
            rendered.append(dst)
        # A socket unit without its service cannot be verified alone.
        services = {os.path.basename(p)[:-8] for p in rendered if p.endswith(".service")}
        rendered = [p for p in rendered if not p.endswith(".socket") or
                    os.path.basename(p)[:-7] in services]
        return rendered, missing

    def verify(self, scope):
        if not ANALYZE:
            self.skipTest("systemd-analyze not found (Debian package systemd)")
        units, missing = self.render(scope)
        if not units:
            self.skipTest("no %s unit whose program is built (%s)" % (scope, missing))
        env = dict(os.environ, MANPATH=os.path.join(self.tmp, "man"),
                   XDG_RUNTIME_DIR=self.tmp, SYSTEMD_LOG_COLOR="0")
        args = [ANALYZE, "verify"] + (["--user"] if scope == "user" else []) + units
        p = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual((p.returncode, p.stdout + p.stderr), (0, ""), " ".join(args))
        return units

    def test_verify_system_units(self):
        self.verify("system")

    def test_verify_user_units(self):
        self.verify("user")

    def test_what_the_units_say(self):
        names = {os.path.basename(p) for p in self.units("system")}
        self.assertIn("agentlog-pgwriter.service", names)
        for scope in ("system", "user"):
            for path in self.units(scope):
                u = parse_unit(path)
                name = os.path.basename(path)
                self.assertTrue(values(u, "Unit", "Documentation"), name)
                self.assertTrue(values(u, "Install", "WantedBy"), name)
                if name == "agentlogd.socket":
                    # Where proto_socket_path() looks: /run/agentlog for root,
                    # $XDG_RUNTIME_DIR/agentlog for a user (%t is either).
                    self.assertEqual(one(u, "Socket", "ListenStream"),
                                     "%t/agentlog/agentlogd.sock")
                    self.assertEqual(one(u, "Socket", "ListenDatagram"),
                                     "%t/agentlog/agentlogd.dgram")
                    self.assertNotEqual(int(one(u, "Socket", "SocketMode"), 8) & 0o007, 0o002)
                if name == "agentlogd.service":
                    self.assertEqual(one(u, "Service", "Type"), "notify", path)
                    self.assertGreater(int(one(u, "Service", "WatchdogSec")), 0)
                    self.assertEqual(one(u, "Service", "RuntimeDirectory"), "agentlog")
                    self.assertEqual(one(u, "Service", "RuntimeDirectoryPreserve"), "yes")
                    self.assertEqual(one(u, "Unit", "Requires"), "agentlogd.socket")
                if name.endswith(".service"):
                    self.assertEqual(one(u, "Service", "NoNewPrivileges"), "yes", path)
                    self.assertIn("@system-service", values(u, "Service", "SystemCallFilter"))
                    self.assertTrue(values(u, "Service", "RestrictAddressFamilies"))
                if name.endswith(".service") and scope == "system":
                    for key, want in (("ProtectSystem", "strict"), ("ProtectHome", "yes"),
                                      ("PrivateTmp", "yes")):
                        self.assertEqual(one(u, "Service", key), want, (path, key))
                if name == "agentlogd.service" and scope == "system":
                    self.assertEqual(one(u, "Service", "StateDirectory"), "agentlog")
                    self.assertIn("${STATE_DIRECTORY}", one(u, "Service", "ExecStart"))

    def test_security_exposure(self):
        """systemd's own score of the sandbox: 'OK' (below 4.0) for every
        system service."""
        if not ANALYZE:
            self.skipTest("systemd-analyze not found (Debian package systemd)")
        units, _ = self.render("system")
        for path in units:
            if not path.endswith(".service"):
                continue
            p = subprocess.run([ANALYZE, "security", "--offline=yes", "--no-pager", path],
                               capture_output=True, text=True, timeout=60,
                               env=dict(os.environ, SYSTEMD_LOG_COLOR="0",
                                        MANPATH=os.path.join(self.tmp, "man")))
            m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", p.stdout)
            self.assertTrue(m, p.stdout + p.stderr)
            self.assertLess(float(m.group(1)), 4.0, "%s: %s" % (path, m.group(0)))
            print("%s: exposure %s" % (os.path.basename(path), m.group(1)))


def notify_wait(ns, msgs, what, timeout):
    """Read sd_notify datagrams into msgs until one contains what."""
    deadline = time.monotonic() + timeout
    while not any(what in m for m in msgs):
        ns.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            msgs.append(ns.recv(4096).decode())
        except socket.timeout:
            raise AssertionError("no %s within %.1fs (got %r)" % (what, timeout, msgs))


@unittest.skipUnless(os.access(BINARIES["agentlogd"], os.X_OK) and
                     os.access(AGENTLOGCTL, os.X_OK), "agentlogd or agentlogctl not built")
class ServiceLikeSystemd(unittest.TestCase):
    """Each agentlogd.service's own command line and environment, started
    the way systemd starts it: the sockets of its socket unit passed as
    LISTEN_FDS, a notification socket, the watchdog interval; then an
    event through each socket, ExecReload's SIGHUP, and the stop."""

    def run_unit(self, scope):
        d = SYSTEMD if scope == "system" else os.path.join(SYSTEMD, "user")
        svc = parse_unit(os.path.join(d, "agentlogd.service"))
        sck = parse_unit(os.path.join(d, "agentlogd.socket"))
        tmp = tempfile.mkdtemp(prefix="agentlog-svc-")
        self.addCleanup(shutil.rmtree, tmp, True)
        run, home = os.path.join(tmp, "run"), os.path.join(tmp, "home")
        state = os.path.join(tmp, "state", "agentlog")
        os.makedirs(run, mode=0o700)
        os.makedirs(home)
        os.makedirs(state, mode=0o700)

        def expand(v):
            v = v.replace("%t", run).replace("%h", home)
            v = v.replace("@CMAKE_INSTALL_FULL_BINDIR@",
                                             os.path.dirname(BINARIES["agentlogd"]))
            return v.replace("${STATE_DIRECTORY}", state)
        # The socket unit's sockets.
        fds = []
        for key, kind in (("ListenStream", socket.SOCK_STREAM),
                          ("ListenDatagram", socket.SOCK_DGRAM)):
            path = expand(one(sck, "Socket", key))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.chmod(os.path.dirname(path), int(one(sck, "Socket", "DirectoryMode"), 8))
            s = socket.socket(socket.AF_UNIX, kind)
            s.bind(path)
            os.chmod(path, int(one(sck, "Socket", "SocketMode"), 8))
            if kind == socket.SOCK_STREAM:
                s.listen(128)
            self.addCleanup(s.close)
            fds.append((s, path))
        (stream, spath), (dgram, dpath) = fds
        ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        ns.bind(os.path.join(tmp, "notify"))
        self.addCleanup(ns.close)
        # XDG_STATE_HOME: so that a test run as root journals in the
        # temporary home as a user would, not in /var/lib/agentlog.
        env = {"PATH": "/usr/bin:/bin", "HOME": home, "XDG_RUNTIME_DIR": run,
               "XDG_STATE_HOME": os.path.join(home, ".local", "state"),
               "NOTIFY_SOCKET": os.path.join(tmp, "notify"), "LISTEN_FDS": "2",
               "LISTEN_FDNAMES": "agentlogd.socket:agentlogd.socket",
               "WATCHDOG_USEC": str(int(one(svc, "Service", "WatchdogSec")) * 1000000)}
        if values(svc, "Service", "StateDirectory"):
            env["STATE_DIRECTORY"] = state
        for e in values(svc, "Service", "Environment"):
            k, _, v = e.partition("=")
            env[k] = v
        for pre in values(svc, "Service", "ExecStartPre"):
            ok_to_fail = pre.startswith("-")
            r = subprocess.run([expand(a) for a in pre.lstrip("-").split()], env=env)
            self.assertTrue(ok_to_fail or r.returncode == 0, pre)
        argv = [expand(a) for a in one(svc, "Service", "ExecStart").split()]
        # fd 3 and 4 in the child, LISTEN_PID its own pid (sd_listen_fds).
        tramp = ("import os,sys; os.dup2(%d,3); os.dup2(%d,4); "
                 "os.environ['LISTEN_PID']=str(os.getpid()); "
                 "os.execv(sys.argv[1], sys.argv[1:])" % (stream.fileno(), dgram.fileno()))
        log = open(os.path.join(tmp, "agentlogd.log"), "wb")
        self.addCleanup(log.close)
        p = subprocess.Popen([sys.executable, "-c", tramp] + argv, env=env, stdout=log,
                             stderr=log, pass_fds=(stream.fileno(), dgram.fileno()))
        self.addCleanup(lambda: (p.poll() is None and p.kill(), p.wait()))
        msgs = []
        try:
            notify_wait(ns, msgs, "READY=1", 15)
        except AssertionError as e:
            with open(log.name) as f:
                raise AssertionError("%s\nagentlogd's log:\n%s" % (e, f.read()))
        t0 = time.monotonic()
        notify_wait(ns, msgs, "WATCHDOG=1", 5)
        # Pinged at least twice per interval (systemd's advice): here every second.
        self.assertLess(time.monotonic() - t0, 2.0)

        cenv = dict(env, AGENTLOG_SOCKET=spath, AGENTLOG_DGRAM_SOCKET=dpath)
        for k in ("NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_FDNAMES", "WATCHDOG_USEC"):
            cenv.pop(k)
        cid = "6f1c2b3a-9d8e-4f70-a1b2-c3d4e5f60718"
        r = subprocess.run([AGENTLOGCTL, "log-agent-action", "--agent", "unit-test",
                            "--action-type", "success", "--action-name", "via-stream",
                            "--correlation-id", cid, "--wait"], env=cenv,
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr + open(log.name).read())
        ev = {"type": "agent_action", "correlation_id": cid, "agent_name": "unit-test",
              "action_type": "success", "action_name": "via-dgram"}
        c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        c.sendto(json.dumps(ev).encode(), dpath)
        c.close()
        p.send_signal(signal.SIGHUP)                  # ExecReload
        self.assertIn("kill -HUP", one(svc, "Service", "ExecReload"))
        # The journal: the unit's state directory, or the user's default.
        jdir = state if values(svc, "Service", "StateDirectory") else \
            os.path.join(home, ".local", "state", "agentlog")
        deadline = time.monotonic() + 20
        while True:
            out = subprocess.run([AGENTLOGCTL, "journal", "--journal-dir", jdir, "dump"],
                                 capture_output=True, text=True).stdout
            names = [json.loads(l)["value"]["action_name"] for l in out.splitlines()]
            if len(names) >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        self.assertEqual(sorted(names), ["via-dgram", "via-stream"])
        self.assertIsNone(p.poll())
        p.send_signal(signal.SIGTERM)
        notify_wait(ns, msgs, "STOPPING=1", 10)
        self.assertEqual(p.wait(int(one(svc, "Service", "TimeoutStopSec"))), 0)
        self.assertTrue(os.path.exists(spath), "the daemon removed the socket unit's socket")

    def test_system_unit(self):
        self.run_unit("system")

    def test_user_unit(self):
        self.run_unit("user")


class LaunchAgent(unittest.TestCase):
    def test_plist(self):
        path = os.path.join(LAUNCHD, "org.agentlog.agentlogd.plist")
        with open(path, "rb") as f:
            pl = plistlib.load(f)          # well-formed XML, a valid plist
        self.assertEqual(pl["Label"], "org.agentlog.agentlogd")
        self.assertEqual(pl["ProgramArguments"][0], "@CMAKE_INSTALL_FULL_BINDIR@/agentlogd")
        # The names agentlogd asks launch_activate_socket() for (listen.c).
        with open(os.path.join(SOURCE, "daemon", "listen.c")) as f:
            names = set(re.findall(r'launch_activate_socket\("(\w+)"', f.read()))
        self.assertEqual(set(pl["Sockets"]), names)
        kinds = {k: v["SockType"] for k, v in pl["Sockets"].items()}
        self.assertEqual(kinds, {"Listeners": "stream", "Datagram": "dgram"})
        # Each socket's path reaches the clients in the variable they read.
        self.assertEqual(pl["Sockets"]["Listeners"]["SecureSocketWithKey"], "AGENTLOG_SOCKET")
        self.assertEqual(pl["Sockets"]["Datagram"]["SecureSocketWithKey"],
                         "AGENTLOG_DGRAM_SOCKET")
        with open(os.path.join(SOURCE, "proto", "wire.c")) as f:
            wire = f.read()
        self.assertIn('"AGENTLOG_SOCKET"', wire)
        self.assertIn('"AGENTLOG_DGRAM_SOCKET"', wire)
        self.assertEqual(pl["KeepAlive"], {"SuccessfulExit": False})
        self.assertIs(pl["RunAtLoad"], True)
        self.assertIn("KAFKA_BROKERS", pl["EnvironmentVariables"])
        self.assertEqual(pl["Umask"], 0o077)
        # Rendered as cmake renders it, it is still a valid plist.
        with open(path) as f:
            text = f.read().replace("@CMAKE_INSTALL_FULL_BINDIR@", "/usr/local/bin") \
                           .replace("@CMAKE_INSTALL_FULL_LOCALSTATEDIR@", "/usr/local/var")
        self.assertNotIn("@", text.split("-->", 1)[1])
        pl = plistlib.loads(text.encode())
        self.assertEqual(pl["ProgramArguments"], ["/usr/local/bin/agentlogd"])
        if shutil.which("plutil"):                 # macOS
            p = subprocess.run(["plutil", "-lint", path], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
