"""contrib/systemd and contrib/launchd: the units pass `systemd-analyze
verify` (system and --user) without a word, carry what the issue asks
(Type=notify, a watchdog, state and runtime directories, sandboxing), put
the sockets where clients look for them, and score a low exposure in
`systemd-analyze security`; the launchd plist is well-formed and asks for
socket activation and KeepAlive.

systemd-analyze comes with Debian's systemd package: without it the
systemd tests are skipped (the plist test still runs)."""
import glob
import os
import plistlib
import re
import shutil
import subprocess
import tempfile
import unittest

BUILD = os.environ.get("AGENTLOG_BUILD", os.path.join(os.getcwd(), "build"))
SOURCE = os.environ.get("AGENTLOG_SOURCE", os.getcwd())
SYSTEMD = os.path.join(SOURCE, "contrib", "systemd")
LAUNCHD = os.path.join(SOURCE, "contrib", "launchd")
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


if __name__ == "__main__":
    unittest.main(verbosity=2)
