"""A private PostgreSQL server for a test.

    pg = Postgres()            # initdb into a temporary directory and start
    pg.psql("SELECT 1")        # -> "1"
    pg.stop(); pg.start()      # same data, same port, same socket directory
    pg.close()                 # stop by pid and remove the directory

The server listens on 127.0.0.1 at a free port and on a Unix socket inside
its temporary directory.  When the tests run as root, initdb and the server
run as the unprivileged `postgres` user (runuser), which owns the directory.
Debian's binaries live in /usr/lib/postgresql/<major>/bin; PG_BINDIR
overrides the search.
"""

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

__all__ = ["Postgres", "pg_bindir", "free_port"]


def pg_bindir():
    """The directory holding initdb and postgres, or None."""
    env = os.environ.get("PG_BINDIR")
    if env:
        return env
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(os.path.join(d, "postgres"), os.X_OK):
            return d
    for name in ("initdb", "postgres"):
        p = shutil.which(name)
        if p:
            return os.path.dirname(p)
    return None


def free_port():
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """One PostgreSQL cluster in a temporary directory."""

    def __init__(self, start=True, user="postgres", dbname="postgres",
                 settings=None):
        self.bindir = pg_bindir()
        if not self.bindir:
            raise RuntimeError("PostgreSQL binaries not found (set PG_BINDIR)")
        self.user = user
        self.dbname = dbname
        self.settings = dict(settings or {})
        self.as_root = os.geteuid() == 0
        self.dir = tempfile.mkdtemp(prefix="agentlog-pg-")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        self.sockdir = os.path.join(self.dir, "sock")
        self.logfile = os.path.join(self.dir, "postgres.log")
        os.mkdir(self.sockdir)
        if self.as_root:
            import pwd
            pw = pwd.getpwnam("postgres")
            for p in (self.dir, self.sockdir):
                os.chown(p, pw.pw_uid, pw.pw_gid)
        self.port = free_port()
        self.proc = None
        self.pid = None
        self._run([os.path.join(self.bindir, "initdb"), "-D", self.data,
                   "-U", self.user, "--auth=trust", "-E", "UTF8",
                   "--locale=C", "--no-sync"])
        if start:
            self.start()

    def _cmd(self, argv):
        if self.as_root:
            return ["runuser", "-u", "postgres", "--"] + argv
        return argv

    def _run(self, argv, **kw):
        r = subprocess.run(self._cmd(argv), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, cwd=self.dir, **kw)
        if r.returncode != 0:
            raise RuntimeError("%s failed (%d): %s" %
                               (argv[0], r.returncode, r.stdout.decode()))
        return r

    def dsn(self, dbname=None, host=None):
        """A libpq URI for the server (Unix socket unless host is given)."""
        h = host or self.sockdir.replace("/", "%2F")
        return "postgresql://%s@%s:%d/%s" % (self.user, h, self.port,
                                             dbname or self.dbname)

    def env(self):
        """PG* variables that point libpq (psql, pg_isready) here."""
        return {"PGHOST": self.sockdir, "PGPORT": str(self.port),
                "PGUSER": self.user, "PGDATABASE": self.dbname}

    def start(self, timeout=30):
        """Start the server on the same port and wait until it accepts."""
        if self.proc:
            return
        argv = [os.path.join(self.bindir, "postgres"), "-D", self.data,
                "-p", str(self.port), "-k", self.sockdir,
                "-c", "listen_addresses=127.0.0.1",
                "-c", "fsync=off", "-c", "full_page_writes=off",
                "-c", "max_connections=50", "-c", "shared_buffers=64MB"]
        for k, v in self.settings.items():
            argv += ["-c", "%s=%s" % (k, v)]
        log = open(self.logfile, "ab")
        try:
            self.proc = subprocess.Popen(self._cmd(argv), stdout=log,
                                         stderr=subprocess.STDOUT,
                                         cwd=self.dir)
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                self.proc = None
                raise RuntimeError("postgres exited: " + self.log_tail())
            if self._ready():
                break
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("postgres did not start: " +
                                   self.log_tail())
            time.sleep(0.05)
        self.pid = self._postmaster_pid()

    def _ready(self):
        r = subprocess.run([os.path.join(self.bindir, "pg_isready"), "-q",
                            "-h", self.sockdir, "-p", str(self.port),
                            "-U", self.user, "-d", self.dbname],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        return r.returncode == 0

    def _postmaster_pid(self):
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                return int(f.readline())
        except (OSError, ValueError):
            return None

    def stop(self, mode="fast", timeout=30):
        """Stop the server by its pid: fast (SIGINT) or immediate (SIGQUIT).

        Falls back to pg_ctl stop -m immediate, then SIGKILL, so no server
        outlives the test."""
        if not self.proc:
            return
        sig = signal.SIGQUIT if mode == "immediate" else signal.SIGINT
        pid = self.pid or self._postmaster_pid()
        if pid:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            subprocess.run(self._cmd([os.path.join(self.bindir, "pg_ctl"),
                                      "stop", "-D", self.data, "-m",
                                      "immediate"]),
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                if pid:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.pid = None

    def psql(self, sql, dbname=None, check=True, args=()):
        """Run sql with psql (unaligned, tuples only, fields split by |).

        Returns stdout without the trailing newline; raises on error
        unless check is False (then returns (returncode, output))."""
        argv = [os.path.join(self.bindir, "psql"), "-X", "-q", "-A", "-t",
                "-v", "ON_ERROR_STOP=1", "-h", self.sockdir,
                "-p", str(self.port), "-U", self.user,
                "-d", dbname or self.dbname] + list(args)
        r = subprocess.run(argv, input=sql.encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        out = r.stdout.decode().rstrip("\n")
        if not check:
            return r.returncode, out
        if r.returncode != 0:
            raise RuntimeError("psql failed (%d): %s\n%s" %
                               (r.returncode, out, sql))
        return out

    def rows(self, sql, dbname=None):
        """Rows of a query as lists of strings ('' for NULL)."""
        out = self.psql(sql, dbname=dbname)
        return [line.split("|") for line in out.split("\n")] if out else []

    def createdb(self, name):
        self.psql('CREATE DATABASE "%s"' % name.replace('"', '""'))

    def log_tail(self, n=4000):
        try:
            with open(self.logfile, "rb") as f:
                return f.read()[-n:].decode(errors="replace")
        except OSError:
            return ""

    def close(self):
        """Stop the server and remove its directory."""
        try:
            self.stop(mode="immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
