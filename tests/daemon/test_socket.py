"""agentlogd's socket security: modes, stale sockets, a second daemon,
symlinks and foreign files, no network listener."""
import os
import socket
import stat
import subprocess
import tempfile
import unittest

from daemon import AGENTLOGD, Daemon, make_event


def run_daemon(tmp, sock, *extra):
    """Run agentlogd expecting it to refuse to start; returns (rc, output)."""
    p = subprocess.run([AGENTLOGD, "--socket", sock, "--journal-dir", os.path.join(tmp, "j"),
                        "--no-kafka", *extra], capture_output=True, timeout=30)
    return p.returncode, (p.stdout + p.stderr).decode()


class SocketTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="agentlog-sock-")
        self.addCleanup(subprocess.run, ["rm", "-rf", self.tmp])

    def test_modes(self):
        with Daemon(tmp=self.tmp) as d:
            st = os.stat(d.sock)
            self.assertTrue(stat.S_ISSOCK(st.st_mode))
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o660)
            self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(d.sock)).st_mode), 0o700)
            self.assertEqual(stat.S_IMODE(os.stat(d.dgram).st_mode), 0o660)

    def test_custom_mode_and_no_world_writable(self):
        with Daemon(tmp=self.tmp, args=["--socket-mode", "0600"]) as d:
            self.assertEqual(stat.S_IMODE(os.stat(d.sock).st_mode), 0o600)
        rc, out = run_daemon(self.tmp, os.path.join(self.tmp, "x.sock"), "--socket-mode", "0666")
        self.assertEqual(rc, 2)
        self.assertIn("world-writable", out)

    def test_two_daemons_in_one_directory(self):
        a = Daemon(tmp=self.tmp, socket_path=os.path.join(self.tmp, "run", "a.sock"),
                   journal_dir=os.path.join(self.tmp, "ja"))
        self.addCleanup(a.cleanup)
        b = Daemon(tmp=self.tmp, socket_path=os.path.join(self.tmp, "run", "b.sock"),
                   journal_dir=os.path.join(self.tmp, "jb"))
        self.addCleanup(b.cleanup)
        self.assertNotEqual(a.dgram, b.dgram)
        for d in (a, b):
            self.assertTrue(d.request(".ping")["pong"])
            self.assertTrue(stat.S_ISSOCK(os.stat(d.dgram).st_mode))

    def test_second_daemon_refused(self):
        with Daemon(tmp=self.tmp) as d:
            rc, out = run_daemon(self.tmp, d.sock)
            self.assertEqual(rc, 1)
            self.assertIn("another agentlogd is running", out)
            self.assertTrue(d.request(".ping")["pong"])   # the first one is untouched

    def test_stale_socket_replaced(self):
        sock = os.path.join(self.tmp, "run", "agentlogd.sock")
        os.makedirs(os.path.dirname(sock), mode=0o700)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(sock)
        s.close()                               # a socket file nobody listens on
        with Daemon(tmp=self.tmp, socket_path=sock) as d:
            self.assertTrue(d.request(".ping")["pong"])
            self.assertIn("replaced stale socket", d.log())

    def test_live_foreign_listener_refused(self):
        sock = os.path.join(self.tmp, "run", "agentlogd.sock")
        os.makedirs(os.path.dirname(sock), mode=0o700)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(sock)
        s.listen()
        try:
            rc, out = run_daemon(self.tmp, sock)
            self.assertEqual(rc, 1)
            self.assertIn("another daemon is listening", out)
            self.assertTrue(stat.S_ISSOCK(os.lstat(sock).st_mode))
        finally:
            s.close()

    def test_never_deletes_a_file_or_follows_a_symlink(self):
        d = os.path.join(self.tmp, "run")
        os.makedirs(d, mode=0o700)
        f = os.path.join(d, "file.sock")
        with open(f, "w") as fh:
            fh.write("precious")
        rc, out = run_daemon(self.tmp, f)
        self.assertEqual(rc, 1)
        self.assertIn("not a socket", out)
        self.assertEqual(open(f).read(), "precious")
        link = os.path.join(d, "link.sock")
        os.symlink(f, link)
        rc, out = run_daemon(self.tmp, link)
        self.assertEqual(rc, 1)
        self.assertIn("symbolic link", out)
        self.assertEqual(open(f).read(), "precious")

    def test_foreign_world_writable_dir_refused(self):
        d = os.path.join(self.tmp, "open")
        os.makedirs(d)
        os.chmod(d, 0o777)
        rc, out = run_daemon(self.tmp, os.path.join(d, "a.sock"))
        self.assertEqual(rc, 1)
        self.assertIn("world-writable", out)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to run a client as another uid")
    def test_other_uid_refused(self):
        with Daemon(tmp=self.tmp) as d:
            os.chmod(os.path.dirname(d.sock), 0o755)   # only the socket's own mode guards it now
            code = ("import os,socket,sys; os.setgid(65534); os.setuid(65534); "
                    "s=socket.socket(socket.AF_UNIX); "
                    "sys.exit(3) if s.connect_ex(sys.argv[1]) == 13 else sys.exit(0)")
            for path in (d.sock, d.dgram):
                p = subprocess.run(["/usr/bin/python3", "-c", code, path])
                self.assertEqual(p.returncode, 3, "uid 65534 could connect to " + path)

    def test_no_network_listener(self):
        with Daemon(tmp=self.tmp) as d:
            inodes = set()
            for fd in os.listdir("/proc/%d/fd" % d.pid):
                try:
                    t = os.readlink("/proc/%d/fd/%s" % (d.pid, fd))
                except OSError:
                    continue
                if t.startswith("socket:["):
                    inodes.add(t[8:-1])
            for table in ("tcp", "tcp6", "udp", "udp6"):
                with open("/proc/net/" + table) as fh:
                    next(fh)
                    for l in fh:
                        self.assertNotIn(l.split()[9], inodes, "agentlogd has a %s socket" % table)


if __name__ == "__main__":
    unittest.main(verbosity=2)
