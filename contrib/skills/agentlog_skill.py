"""agentlog_skill.py: what the four execute_kafka.py shims share.

Drop-in replacements for the seed's agent-tracking skills: the same flags,
the same JSON result on stdout, exit 0 on success and 1 on failure (never
an exception), but the event goes to the local agentlogd over its Unix
socket instead of to Kafka.  Python standard library only.

The event is sent in acknowledged mode (".hello 1 ack", then the event):
this script has no validator of its own, so the daemon's reply is what
tells success from failure, and it carries the event id.

Install: copy this directory's contents over the skill folders, e.g.
    cp -r contrib/skills/* ~/.claude/skills/agent-tracking/
"""

import argparse
import json
import os
import socket
import sys
import uuid
from datetime import datetime, timezone

WIRE_VERSION = 1
TIMEOUT_S = 2.0

TOPICS = {
    "agent_action": "agent-actions",
    "routing_decision": "agent-routing-decisions",
    "transformation": "agent-transformation-events",
    "performance_metrics": "router-performance-metrics",
}


def socket_path():
    """The daemon's stream socket, resolved as proto_socket_path() does."""
    p = os.environ.get("AGENTLOG_SOCKET")
    if p:
        return p
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and xdg.startswith("/"):
        return os.path.join(xdg, "agentlog", "agentlogd.sock")
    if os.geteuid() == 0:
        return "/run/agentlog/agentlogd.sock"
    return "/tmp/agentlog-%d/agentlogd.sock" % os.geteuid()


def _bool(s):
    v = s.strip().lower()
    if v in ("true", "1", "yes", "y", "on"):
        return True
    if v in ("false", "0", "no", "n", "off"):
        return False
    raise argparse.ArgumentTypeError("expects true or false, got %r" % s)


def _json_of(kind):
    def parse(s):
        try:
            v = json.loads(s)
        except ValueError as e:
            raise argparse.ArgumentTypeError("not valid JSON: %s" % e)
        if not isinstance(v, kind):
            raise argparse.ArgumentTypeError(
                "expects a JSON %s" % ("object" if kind is dict else "array"))
        return v
    return parse


KINDS = {"str": str, "int": int, "num": float, "bool": _bool,
         "obj": _json_of(dict), "arr": _json_of(list)}


def _reply(sock_file):
    line = sock_file.readline()
    if not line:
        raise OSError("agentlogd closed the connection")
    return json.loads(line)


def send(event):
    """Send one event acknowledged; returns the event id or raises."""
    line = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(TIMEOUT_S)
        s.connect(socket_path())
        s.sendall((".hello %d ack\n%s\n" % (WIRE_VERSION, line)).encode())
        f = s.makefile("r", encoding="utf-8")
        hello = _reply(f)
        if hello.get("ok") is False:
            raise OSError(hello.get("error", "hello refused"))
        rep = _reply(f)
        if not rep.get("ok"):
            raise ValueError(rep.get("error", "rejected"))
        return rep.get("event_id")
    finally:
        s.close()


def main(etype, fields, description):
    """fields: (flag, event field, kind, help, default) tuples."""
    ap = argparse.ArgumentParser(description=description)
    for flag, field, kind, hlp, default in fields:
        ap.add_argument("--" + flag, dest=field, type=KINDS[kind], help=hlp,
                        default=default)
    ap.add_argument("--correlation-id", dest="correlation_id",
                    help="workflow id (else $AGENTLOG_CORRELATION_ID, "
                    "$CORRELATION_ID, else a new UUID)")
    args = ap.parse_args()
    corr = (args.correlation_id or os.environ.get("AGENTLOG_CORRELATION_ID")
            or os.environ.get("CORRELATION_ID") or str(uuid.uuid4()))
    result = {"success": False, "correlation_id": corr}
    try:
        event = {"type": etype, "correlation_id": corr}
        for _, field, _, _, _ in fields:
            v = getattr(args, field)
            if v is not None:
                event[field] = v
        now = datetime.now(timezone.utc)
        event["timestamp"] = now.strftime("%Y-%m-%dT%H:%M:%S.") + \
            "%03dZ" % (now.microsecond // 1000)
        result["event_id"] = send(event)
        result["topic"] = TOPICS[etype]
        result["success"] = True
    except BaseException as e:      # never raise: logging must not break
        result["error"] = "%s: %s" % (type(e).__name__, e)
        result["event_id"] = None
    print(json.dumps(result))
    return 0 if result["success"] else 1
