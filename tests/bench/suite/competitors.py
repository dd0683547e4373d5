"""The daemons users would deploy instead of agentlogd, from Debian's
packages, each run in the foreground as a child of the suite with its own
configuration in a temporary directory: reading newline-delimited JSON from
a Unix stream socket and producing each line, unchanged, to one Kafka topic
of the test broker with the producer settings agentlogd uses (idempotent,
acks=all, lz4, linger.ms=5).  Neither validates, journals or routes by type.

    with Rsyslog(root, bootstrap, topic, tmp) as d:   # or SyslogNg(...)
        d.sock, d.pid

root is where setup.py unpacked the packages (dpkg -x); nothing is
installed as a service and nothing outlives the suite: each daemon is
stopped by pid (SIGTERM, then SIGKILL).
"""
import os
import signal
import socket
import subprocess
import time

from common import wait_for

# The same producer properties agentlogd sets (daemon/FORWARDING.md).
KAFKA_PROPS = [("enable.idempotence", "true"), ("acks", "all"),
               ("compression.codec", "lz4"), ("linger.ms", "5")]

RSYSLOG_CONF = """\
global(workDirectory="{tmp}" maxMessageSize="64k")
module(load="imptcp")
module(load="omkafka")
template(name="raw" type="string" string="%rawmsg%")
input(type="imptcp" path="{sock}" unlink="on" ruleset="kafka")
ruleset(name="kafka") {{
  action(type="omkafka" broker=[{brokers}] topic="{topic}" template="raw"
         confParam=[{props}] resubmitOnFailure="on"
         action.resumeRetryCount="-1")
}}
"""

# The same, keyed as agentlogd keys: by the event's correlation_id, so a
# workflow's events keep their order in one partition (what trace and
# replay need).  rsyslog has to parse the JSON for it (mmjsonparse, plain
# JSON without the @cee cookie) and hands the key to librdkafka's
# partitioner (DynaKey, partitions.auto).
RSYSLOG_KEYED_CONF = """\
global(workDirectory="{tmp}" maxMessageSize="64k")
module(load="imptcp")
module(load="omkafka")
module(load="mmjsonparse")
template(name="raw" type="string" string="%rawmsg%")
template(name="cid" type="string" string="%$!correlation_id%")
input(type="imptcp" path="{sock}" unlink="on" ruleset="kafka")
ruleset(name="kafka") {{
  action(type="mmjsonparse" cookie="")
  action(type="omkafka" broker=[{brokers}] topic="{topic}" template="raw"
         key="cid" dynaKey="on" partitions.auto="on"
         confParam=[{props}] resubmitOnFailure="on"
         action.resumeRetryCount="-1")
}}
"""

SYSLOG_NG_CONF = """\
@version: 3.38
options {{ stats-freq(0); use-dns(no); keep-hostname(yes);
          log-fifo-size(100000); }};
source s_in {{ unix-stream("{sock}" flags(no-parse) max-connections(64)
                          log-iw-size(100000) log-msg-size(65536)); }};
destination d_kafka {{ kafka-c(bootstrap-servers("{bootstrap}")
                       topic("{topic}") message("$MSG")
                       config({props})); }};
log {{ source(s_in); destination(d_kafka); flags(flow-control); }};
"""


class _Child:
    """A competitor daemon: config written, started, socket awaited."""

    name = "?"

    def __init__(self, root, bootstrap, topic, tmp):
        self.root, self.bootstrap, self.topic = root, bootstrap, topic
        self.tmp = tmp
        os.makedirs(tmp, exist_ok=True)
        self.sock = os.path.join(tmp, "in.sock")
        self.log_path = os.path.join(tmp, "daemon.log")
        self.proc = None

    def start(self):
        argv, env = self.command()
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self.log_file,
                                     stderr=subprocess.STDOUT, env=env)
        wait_for(self._ready, 20, what="%s to listen on %s" % (self.name,
                                                               self.sock))
        return self

    def _ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError("%s exited with %s:\n%s" % (
                self.name, self.proc.returncode, self.log()))
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(self.sock)
            return True
        except OSError:
            return False
        finally:
            s.close()

    @property
    def pid(self):
        return self.proc.pid

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log_file.close()
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class Rsyslog(_Child):
    """rsyslogd (rsyslog + rsyslog-kafka): imptcp on a Unix socket ->
    omkafka, the raw line as the message; failed deliveries resubmitted
    and the action retried forever (rsyslog's defaults drop a message whose
    action fails: seen here as a few events missing in 1,000,000)."""

    name = "rsyslog"
    root_name = "rsyslog"
    conf_text = RSYSLOG_CONF

    def command(self):
        conf = os.path.join(self.tmp, "rsyslog.conf")
        with open(conf, "w") as f:
            f.write(self.conf_text.format(
                tmp=self.tmp, sock=self.sock, topic=self.topic,
                brokers=", ".join('"%s"' % b for b in
                                  self.bootstrap.split(",")),
                props=", ".join('"%s=%s"' % kv for kv in KAFKA_PROPS)))
        moddir = os.path.join(self.root, "usr", "lib", "x86_64-linux-gnu",
                              "rsyslog")
        argv = [os.path.join(self.root, "usr", "sbin", "rsyslogd"), "-n",
                "-f", conf, "-M", moddir,
                "-i", os.path.join(self.tmp, "rsyslogd.pid")]
        return argv, dict(os.environ)


class RsyslogKeyed(Rsyslog):
    """rsyslog keyed by correlation_id, as agentlogd keys its records: the
    same order per workflow.  Reported beside the plain configuration, not
    counted as "the faster competitor" (the issue's targets compare with
    the plain one)."""

    name = "rsyslog-keyed"
    conf_text = RSYSLOG_KEYED_CONF


class SyslogNg(_Child):
    """syslog-ng (syslog-ng-core + syslog-ng-mod-rdkafka): unix-stream
    (no-parse) -> kafka-c, flow-controlled (no drops when Kafka is slower
    than the senders)."""

    name = "syslog-ng"

    def command(self):
        conf = os.path.join(self.tmp, "syslog-ng.conf")
        with open(conf, "w") as f:
            f.write(SYSLOG_NG_CONF.format(
                sock=self.sock, bootstrap=self.bootstrap, topic=self.topic,
                props=" ".join('"%s" => "%s"' % kv for kv in KAFKA_PROPS)))
        lib = os.path.join(self.root, "usr", "lib", "syslog-ng")
        argv = [os.path.join(self.root, "usr", "sbin", "syslog-ng"), "-F",
                "--no-caps", "-f", conf,
                "--module-path", os.path.join(lib, "3.38"),
                "--persist-file", os.path.join(self.tmp, "syslog-ng.persist"),
                "--pidfile", os.path.join(self.tmp, "syslog-ng.pid"),
                "--control", os.path.join(self.tmp, "syslog-ng.ctl")]
        env = dict(os.environ)
        env["LD_LIBRARY_PATH"] = lib
        return argv, env


COMPETITORS = [Rsyslog, SyslogNg]
