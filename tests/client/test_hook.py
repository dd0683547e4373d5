"""agentlogctl hook claude-code: payloads shaped like Claude Code's
documented hook input (common fields session_id, transcript_path, cwd,
permission_mode, hook_event_name; agent_id/agent_type inside a subagent;
tool_name/tool_input/tool_use_id, tool_response, error/is_interrupt, ...)
become the seed's events, with durations from the Pre/Post pairs.

Every scenario runs twice: against a real agentlogd (events read back from
its journal) and with the daemon down (events read back from the inbox the
client falls back to).  A hook always exits 0 and never writes on stdout.
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import uuid

from sink import AGENTLOGCTL, DaemonSink, InboxSink, client_env, have_daemon  # noqa: E402

HOME = "/home/tester"
CWD = HOME + "/src/project"
SID = "6f1c2b3a-9d8e-4f70-a1b2-c3d4e5f60718"


def payload(event, session=SID, **fields):
    """A hook input as Claude Code writes it: the common fields first."""
    p = {"session_id": session,
         "transcript_path": "%s/.claude/projects/-home-tester-src-project/%s.jsonl"
                            % (HOME, session),
         "cwd": CWD, "permission_mode": "default", "hook_event_name": event}
    p.update(fields)
    return p


def in_subagent(p, agent_id, agent_type):
    p = dict(p)
    p.update(agent_id=agent_id, agent_type=agent_type)
    return p


class HookCases:
    """The scenarios; a subclass picks the sink."""
    sink_class = None

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="agentlog-hook-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.sink = self.sink_class(self.tmp)
        self.addCleanup(self.sink.close)
        self.env = client_env(self.sink)

    # -- running hooks ---------------------------------------------------
    def start(self, p, args=(), env=None):
        """Start one hook on payload p; returns (process, start time)."""
        t0 = time.time()
        proc = subprocess.Popen([AGENTLOGCTL, "hook", "claude-code"] + list(args),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env or self.env)
        proc.stdin.write(json.dumps(p).encode())
        proc.stdin.close()
        return proc, t0

    def finish(self, started):
        """Wait for a started hook: exit 0, nothing on stdout.  Returns
        (start, end) wall-clock seconds."""
        proc, t0 = started
        out = proc.stdout.read()
        err = proc.stderr.read()
        rc = proc.wait(30)
        t1 = time.time()
        proc.stdout.close()
        proc.stderr.close()
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, b"", "a hook wrote on stdout")
        return t0, t1

    def hook(self, p, args=(), env=None):
        return self.finish(self.start(p, args, env))

    def events(self, n):
        evs = self.sink.events(n)
        self.assertEqual(len(evs), n, json.dumps(evs, indent=1))
        return evs

    def assert_duration(self, ev, begin, end, key="duration_ms"):
        """ev's duration lies between what the two hooks' run times allow:
        from the end of the first to the start of the second at least,
        from the start of the first to the end of the second at most."""
        lo = int((end[0] - begin[1]) * 1000) - 2
        hi = int((end[1] - begin[0]) * 1000) + 2
        self.assertIn(key, ev, ev)
        self.assertTrue(lo <= ev[key] <= hi, "%s=%d not in [%d, %d]: %s"
                        % (key, ev[key], lo, hi, ev))

    # -- scenarios -------------------------------------------------------
    def test_a_whole_session(self):
        """Every documented event, a subagent launch and stop, a failed
        tool call, in the order Claude Code sends them."""
        t = {}
        t["start"] = self.hook(payload("SessionStart", source="startup",
                                       model="claude-sonnet-4-5"))
        t["prompt"] = self.hook(payload("UserPromptSubmit", prompt_id="p-1",
                                        prompt="Review the diff\nand fix typos"))
        read_in = {"file_path": CWD + "/README.md", "offset": 1, "limit": 200}
        t["pre_read"] = self.hook(payload("PreToolUse", tool_name="Read",
                                          tool_input=read_in, tool_use_id="toolu_read"))
        time.sleep(0.05)
        t["post_read"] = self.hook(payload(
            "PostToolUse", tool_name="Read", tool_input=read_in,
            tool_use_id="toolu_read",
            tool_response={"type": "text", "file": {"filePath": CWD + "/README.md",
                                                    "content": "x" * 5000}}))
        bash_in = {"command": "make test\nmake install", "description": "Run the tests"}
        t["pre_bash"] = self.hook(payload("PreToolUse", tool_name="Bash",
                                          tool_input=bash_in, tool_use_id="toolu_bash"))
        t["fail_bash"] = self.hook(payload(
            "PostToolUseFailure", tool_name="Bash", tool_input=bash_in,
            tool_use_id="toolu_bash",
            error="Command exited with non-zero status code 2", is_interrupt=False))
        task_in = {"description": "Review the diff for typos",
                   "prompt": "You are a reviewer. " * 200,
                   "subagent_type": "code-reviewer"}
        t["pre_task"] = self.hook(payload("PreToolUse", tool_name="Task",
                                          tool_input=task_in, tool_use_id="toolu_task"))
        self.hook(in_subagent(payload("SubagentStart"), "a1b2c3", "code-reviewer"))
        grep_in = {"pattern": "teh|recieve", "path": CWD, "output_mode": "content"}
        t["pre_grep"] = self.hook(in_subagent(payload(
            "PreToolUse", tool_name="Grep", tool_input=grep_in,
            tool_use_id="toolu_grep"), "a1b2c3", "code-reviewer"))
        t["post_grep"] = self.hook(in_subagent(payload(
            "PostToolUse", tool_name="Grep", tool_input=grep_in, tool_use_id="toolu_grep",
            tool_response={"mode": "content", "numFiles": 2, "content": "a:1:teh"}),
            "a1b2c3", "code-reviewer"))
        time.sleep(0.03)
        t["sub_stop"] = self.hook(in_subagent(payload(
            "SubagentStop", stop_hook_active=False,
            agent_transcript_path=HOME + "/.claude/projects/x/agent-a1b2c3.jsonl",
            last_assistant_message="Found 2 typos."), "a1b2c3", "code-reviewer"))
        t["post_task"] = self.hook(payload(
            "PostToolUse", tool_name="Task", tool_input=task_in, tool_use_id="toolu_task",
            tool_response={"content": [{"type": "text", "text": "Found 2 typos."}],
                           "totalDurationMs": 1234}))
        self.hook(payload("Notification", notification_type="permission_prompt",
                          title="Permission needed",
                          message="Claude needs your permission to use Bash"))
        self.hook(payload("PreCompact", trigger="manual", custom_instructions="keep it short"))
        t["stop"] = self.hook(payload("Stop", stop_hook_active=False,
                                      last_assistant_message="Done."))
        t["end"] = self.hook(payload("SessionEnd", reason="prompt_input_exit"))

        evs = self.events(14)
        kinds = [(e["type"], e.get("action_type"), e.get("action_name")) for e in evs]
        self.assertEqual(kinds, [
            ("agent_action", "decision", "session_start"),
            ("agent_action", "decision", "user_prompt_submit"),
            ("agent_action", "tool_call", "Read"),
            ("agent_action", "tool_call", "Bash"),
            ("agent_action", "error", "Bash"),
            ("routing_decision", None, None),
            ("transformation", None, None),
            ("agent_action", "tool_call", "Grep"),
            ("agent_action", "success", "subagent_stop"),
            ("agent_action", "tool_call", "Task"),
            ("agent_action", "decision", "notification"),
            ("agent_action", "decision", "pre_compact"),
            ("agent_action", "success", "stop"),
            ("agent_action", "success", "session_end"),
        ])
        (start, prompt, read, bash, bash_err, routing, transf, grep, sub_stop,
         task, notif, compact, stop, end) = evs
        for e in evs:
            self.assertEqual(e["correlation_id"], SID)
            text = json.dumps(e)
            self.assertNotIn("/.claude/projects", text)   # transcript: name only
            self.assertNotIn("x" * 100, text)              # no file contents
        self.assertEqual(start["agent_name"], "claude-code")
        self.assertEqual(start["action_details"]["source"], "startup")
        self.assertEqual(start["action_details"]["model"], "claude-sonnet-4-5")
        self.assertEqual(start["action_details"]["transcript"], SID + ".jsonl")
        self.assertEqual(start["action_details"]["cwd"], CWD)
        self.assertEqual(prompt["action_details"]["prompt"], "Review the diff\nand fix typos")
        self.assertEqual(prompt["action_details"]["prompt_id"], "p-1")
        self.assertEqual(read["action_details"]["input"],
                         {"file_path": CWD + "/README.md", "offset": 1, "limit": 200})
        self.assertTrue(read["action_details"]["success"])
        self.assert_duration(read, t["pre_read"], t["post_read"])
        self.assertGreaterEqual(read["duration_ms"], 50)
        self.assertEqual(bash["action_details"]["input"]["command"], "make test\u2026")
        self.assertFalse(bash["action_details"]["success"])
        self.assert_duration(bash, t["pre_bash"], t["fail_bash"])
        self.assertEqual(bash_err["action_details"]["error"],
                         "Command exited with non-zero status code 2")
        self.assertIs(bash_err["action_details"]["is_interrupt"], False)
        self.assertEqual(bash_err["duration_ms"], bash["duration_ms"])
        self.assertEqual(routing["selected_agent"], "code-reviewer")
        self.assertEqual(routing["routing_strategy"], "claude-code-subagent")
        self.assertEqual(routing["user_request"], "Review the diff for typos")
        self.assertEqual(routing["context"]["calling_agent"], "claude-code")
        self.assertEqual(routing["context"]["tool_use_id"], "toolu_task")
        self.assertEqual((transf["source_agent"], transf["target_agent"]),
                         ("claude-code", "code-reviewer"))
        self.assertEqual(transf["transformation_reason"], "Review the diff for typos")
        self.assertIs(transf["success"], True)
        self.assertEqual(grep["agent_name"], "code-reviewer")
        self.assertEqual(grep["action_details"]["agent_id"], "a1b2c3")
        self.assertEqual(grep["action_details"]["input"]["pattern"], "teh|recieve")
        self.assert_duration(grep, t["pre_grep"], t["post_grep"])
        self.assertEqual(sub_stop["agent_name"], "code-reviewer")
        self.assertEqual(sub_stop["action_details"]["tool_use_id"], "toolu_task")
        self.assertEqual(sub_stop["action_details"]["last_message_chars"], 14)
        self.assert_duration(sub_stop, t["pre_task"], t["sub_stop"])
        self.assertGreaterEqual(sub_stop["duration_ms"], 30)
        self.assertEqual(task["action_details"]["input"]["prompt_chars"], 20 * 200)
        self.assertNotIn("prompt", task["action_details"]["input"])
        self.assert_duration(task, t["pre_task"], t["post_task"])
        self.assertEqual(notif["action_details"]["message"],
                         "Claude needs your permission to use Bash")
        self.assertEqual(notif["action_details"]["notification_type"], "permission_prompt")
        self.assertEqual(compact["action_details"]["trigger"], "manual")
        self.assertEqual(compact["action_details"]["custom_instructions"], "keep it short")
        self.assertEqual(stop["action_details"]["last_message_chars"], 5)
        self.assert_duration(stop, t["prompt"], t["stop"])
        self.assertEqual(end["action_details"]["reason"], "prompt_input_exit")
        self.assert_duration(end, t["start"], t["end"])
        for e in (start, prompt, notif, compact):
            self.assertNotIn("duration_ms", e)
        # SessionEnd removed the session's state file.
        self.assertEqual(os.listdir(os.path.join(self.sink.journal_dir, "hooks")), [])

    def test_concurrent_pairs(self):
        """Parallel tool calls of one session: every Post finds its Pre
        (the state file is shared under a lock), each duration is its own.
        Without the lock, some of these rounds lose entries."""
        n, rounds = 64, 3

        def run_all(payloads):
            procs = [self.start(p) for p in payloads]
            return [self.finish(p) for p in procs]

        def pre(i):
            return payload("PreToolUse", tool_name="Glob", tool_use_id=i,
                           tool_input={"pattern": "**/*.c"})

        def post(i):
            return payload("PostToolUse", tool_name="Glob", tool_use_id=i,
                           tool_input={"pattern": "**/*.c"},
                           tool_response={"numFiles": 3})
        begin, end, ids = {}, {}, []
        for r in range(rounds):
            rid = ["toolu_%d_%02d" % (r, i) for i in range(n)]
            a, b = rid[:n // 2], rid[n // 2:]
            first = run_all([pre(i) for i in a])
            # The second half's Pre runs together with the first half's Post.
            mixed = run_all([post(i) for i in a] + [pre(i) for i in b])
            last = run_all([post(i) for i in b])
            begin.update(zip(rid, first + mixed[n // 2:]))
            end.update(zip(rid, mixed[:n // 2] + last))
            ids += rid
        evs = self.events(n * rounds)
        self.assertEqual(sorted(e["action_details"]["tool_use_id"] for e in evs),
                         sorted(ids))
        for e in evs:
            i = e["action_details"]["tool_use_id"]
            self.assert_duration(e, begin[i], end[i])

    def test_post_before_pre(self):
        """Async hooks can run out of order: a Post without its Pre is
        logged without a duration, and the late Pre leaves nothing behind."""
        inp = {"command": "true"}
        self.hook(payload("PostToolUse", tool_name="Bash", tool_use_id="toolu_late",
                          tool_input=inp, tool_response={"stdout": ""}))
        self.hook(payload("PreToolUse", tool_name="Bash", tool_use_id="toolu_late",
                          tool_input=inp))
        ev, = self.events(1)
        self.assertEqual(ev["action_name"], "Bash")
        self.assertNotIn("duration_ms", ev)
        state = os.path.join(self.sink.journal_dir, "hooks",
                             "claude-code-%s.state" % SID)
        with open(state) as f:
            self.assertNotIn("toolu_late", f.read())
        self.assertEqual(os.stat(state).st_mode & 0o777, 0o600)
        self.assertEqual(os.stat(os.path.dirname(state)).st_mode & 0o777, 0o700)

    def test_subagents_of_one_type_matched_by_id(self):
        """Two subagents of the same type: each SubagentStop is timed from
        its own launch, found by the agent_id SubagentStart bound to it."""
        inp = {"description": "Explore", "prompt": "look", "subagent_type": "Explore"}
        pre1 = self.hook(payload("PreToolUse", tool_name="Agent", tool_input=inp,
                                 tool_use_id="toolu_x1"))
        self.hook(in_subagent(payload("SubagentStart"), "ag-1", "Explore"))
        time.sleep(0.05)
        pre2 = self.hook(payload("PreToolUse", tool_name="Agent", tool_input=inp,
                                 tool_use_id="toolu_x2"))
        self.hook(in_subagent(payload("SubagentStart"), "ag-2", "Explore"))
        stop2 = self.hook(in_subagent(payload("SubagentStop"), "ag-2", "Explore"))
        time.sleep(0.05)
        stop1 = self.hook(in_subagent(payload("SubagentStop"), "ag-1", "Explore"))
        evs = self.events(6)
        stops = [e for e in evs if e.get("action_name") == "subagent_stop"]
        self.assertEqual([s["action_details"]["tool_use_id"] for s in stops],
                         ["toolu_x2", "toolu_x1"])
        self.assert_duration(stops[0], pre2, stop2)
        self.assert_duration(stops[1], pre1, stop1)
        self.assertGreaterEqual(stops[1]["duration_ms"], 100)

    def test_bounded_and_redacted(self):
        big = "line one\n" + "y" * (1 << 20)
        self.hook(payload("PreToolUse", tool_name="Write", tool_use_id="toolu_w",
                          tool_input={"file_path": CWD + "/big.txt", "content": big}))
        self.hook(payload("PostToolUse", tool_name="Write", tool_use_id="toolu_w",
                          tool_input={"file_path": CWD + "/big.txt", "content": big},
                          tool_response={"filePath": CWD + "/big.txt", "success": True}))
        prompt = "\u00e9t\u00e9 " * 3000          # 2-byte characters, 15000 chars
        self.hook(payload("UserPromptSubmit", prompt=prompt))
        self.hook(payload("UserPromptSubmit", prompt="my secret plan"),
                  args=["--no-prompt-text"])
        write, p1, p2 = self.events(3)
        self.assertLess(len(json.dumps(write)), 4096)
        self.assertEqual(write["action_details"]["input"],
                         {"file_path": CWD + "/big.txt", "content_chars": len(big)})
        self.assertEqual(write["action_details"]["response"],
                         {"filePath": CWD + "/big.txt", "success": True})
        text = p1["action_details"]["prompt"]
        self.assertLessEqual(len(text.encode()), 1000 + 3)
        self.assertTrue(text.endswith("\u2026"))
        self.assertTrue(prompt.startswith(text[:-1]))      # cut on a character
        self.assertEqual(p1["action_details"]["prompt_chars"], len(prompt))
        self.assertNotIn("prompt", p2["action_details"])
        self.assertNotIn("secret", json.dumps(p2))
        self.assertEqual(p2["action_details"]["prompt_chars"], 14)

    def test_correlation_ids(self):
        cid = str(uuid.uuid4())
        env = dict(self.env, AGENTLOG_CORRELATION_ID=cid.upper(), AGENTLOG_AGENT="main")
        self.hook(payload("Stop"), env=env)
        self.hook(payload("Stop", session="not-a-uuid"))
        self.hook(payload("Stop", session="not-a-uuid"))
        a, b, c = self.events(3)
        self.assertEqual(a["correlation_id"], cid)
        self.assertEqual(a["agent_name"], "main")
        self.assertEqual(a["action_details"]["session_id"], SID)
        self.assertEqual(b["correlation_id"], c["correlation_id"])
        uuid.UUID(b["correlation_id"])
        self.assertEqual(b["action_details"]["session_id"], "not-a-uuid")

    def test_bad_input_still_exits_0(self):
        for data, args in ((b"", []), (b"not json", []), (b"[1,2]", []),
                           (b'{"hook_event_name":', []),
                           (json.dumps(payload("Stop")).encode(), ["--bogus"]),
                           (b"{}", ["--timeout", "x"])):
            p = subprocess.run([AGENTLOGCTL, "hook", "claude-code"] + args, input=data,
                               capture_output=True, env=self.env)
            self.assertEqual((p.returncode, p.stdout), (0, b""), (data, p.stderr))
        p = subprocess.run([AGENTLOGCTL, "hook", "no-such-harness"], input=b"{}",
                           capture_output=True, env=self.env)
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, b"", b""))
        # Two events come through: the Stop with a bad flag, and "{}" (an
        # event of no known name, logged as a decision).
        evs = self.events(2)
        self.assertEqual([e["action_name"] for e in evs], ["stop", "unknown"])


    def test_hostile_payloads(self):
        """Wrong types, hostile ids, control characters, invalid UTF-8 and
        truncated or mutated payloads: always exit 0, nothing on stdout,
        every event sent is valid (the daemon or the inbox took it), and
        the state stays inside the journal directory."""
        import random
        rnd = random.Random(1402)
        base = [payload("PreToolUse", tool_name="Bash", tool_use_id="t1",
                        tool_input={"command": "ls\tx\n"}),
                payload("PostToolUse", tool_name="Task", tool_use_id="t1",
                        tool_input={"subagent_type": "x", "description": "d"},
                        tool_response={"a": [1, 2], "b": {"c": None}}),
                payload("SubagentStop", agent_id="a", agent_type="b")]
        odd = [payload("PreToolUse", tool_name=7, tool_use_id=["x"], tool_input="ls"),
               payload("PostToolUseFailure", tool_name=None, tool_use_id="t\t\n" * 500,
                       error={"code": 1}, is_interrupt="yes"),
               payload("PreToolUse", tool_name="Task", tool_use_id="t2",
                       tool_input={"subagent_type": 5, "description": ["a"]}),
               payload("PreToolUse", session="../../../etc/passwd", tool_name="Read",
                       tool_use_id="t3", tool_input={"file_path": "\u0000\u001f\u2028"}),
               payload("UserPromptSubmit", session="." * 300, prompt={"x": 1}),
               payload("SessionStart", session=None, source=1, model=[]),
               payload("Stop", cwd=5, transcript_path=7, agent_type="", agent_id=None),
               {"hook_event_name": "PreToolUse", "tool_input": {"k" * 5000: "v"}},
               {"hook_event_name": "Notification", "message": "\ud83d\ude00" * 1000}]
        datas = [json.dumps(p).encode() for p in odd]
        datas.append(b'{"session_id":"s","hook_event_name":"UserPromptSubmit","prompt":"a\xff\xfeb\xc3"}')
        datas.append(b'{"a":' * 10000 + b'1' + b'}' * 10000)
        for _ in range(60):
            d = bytearray(json.dumps(rnd.choice(base)).encode())
            for _ in range(rnd.randint(1, 4)):
                i = rnd.randrange(len(d))
                d[i] = rnd.randrange(256)
            datas.append(bytes(d[:rnd.randint(len(d) // 2, len(d))]))
        for data in datas:
            p = subprocess.run([AGENTLOGCTL, "hook", "claude-code", "--verbose"], input=data,
                               capture_output=True, env=self.env, timeout=30)
            self.assertEqual((p.returncode, p.stdout), (0, b""), (data[:200], p.stderr))
            for line in p.stderr.decode(errors="replace").splitlines():
                self.assertRegex(line, r"^agentlogctl hook: (sent|stored in the inbox): \{|"
                                 r"^agentlogctl hook: the payload is not a JSON object$",
                                 data[:200])
        hooks = os.path.join(self.sink.journal_dir, "hooks")
        for name in os.listdir(hooks):
            self.assertTrue(name.startswith("claude-code-") and name.endswith(".state"), name)
            self.assertLessEqual(len(name), 120)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "etc")))
        if self.sink.name == "daemon":
            st = self.sink.d.status()
            self.assertEqual(st["events"]["rejected"], 0, st["events"])


@unittest.skipUnless(os.access(AGENTLOGCTL, os.X_OK), "agentlogctl not built")
class HookInboxTest(HookCases, unittest.TestCase):
    sink_class = InboxSink

    def test_never_waits_on_a_stuck_daemon(self):
        """A socket whose listener never accepts (its backlog full): the
        hook gives up after its few milliseconds and keeps the event in
        the inbox; with --timeout 1000 it waits that long."""
        os.makedirs(os.path.dirname(self.sink.sock), exist_ok=True)
        lsn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(lsn.close)
        lsn.bind(self.sink.sock)
        lsn.listen(0)
        fillers = []
        for _ in range(8):   # fill the backlog: further connects block
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.setblocking(False)
            self.addCleanup(s.close)
            try:
                s.connect(self.sink.sock)
            except (BlockingIOError, OSError):
                break
            fillers.append(s)
        t0, t1 = self.hook(payload("Stop"))
        self.assertLess(t1 - t0, 0.5)
        t0, t1 = self.hook(payload("Stop"), args=["--timeout", "1000"])
        self.assertGreaterEqual(t1 - t0, 0.9)
        self.assertEqual(len(self.events(2)), 2)


@unittest.skipUnless(have_daemon(), "agentlogd (and tests/lib/daemon.py) not built")
class HookDaemonTest(HookCases, unittest.TestCase):
    sink_class = DaemonSink


if __name__ == "__main__":
    unittest.main(verbosity=2)
