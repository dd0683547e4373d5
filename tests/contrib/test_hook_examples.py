"""contrib/hooks: the Claude Code settings snippet (valid, asynchronous,
every event, and its commands really log), the generic shell hook and the
git hook, run as users run them, into a real agentlogd when one is built
(else into the inbox the client falls back to)."""
import json
import os
import shlex
import shutil
import subprocess
import tempfile
import time
import unittest
import uuid

from sink import DaemonSink, InboxSink, client_env, have_daemon

SOURCE = os.environ.get("AGENTLOG_SOURCE", os.getcwd())
HOOKS = os.path.join(SOURCE, "contrib", "hooks")
SETTINGS = os.path.join(HOOKS, "claude-code", "settings.json")
STEP = os.path.join(HOOKS, "shell", "agentlog-step.sh")
POST_COMMIT = os.path.join(HOOKS, "git", "post-commit")

# Claude Code's hook events that carry what the seed logs (hooks reference).
EVENTS = ["SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse",
          "PostToolUseFailure", "SubagentStart", "SubagentStop", "Notification",
          "PreCompact", "Stop", "SessionEnd"]
TOOL_EVENTS = {"PreToolUse", "PostToolUse", "PostToolUseFailure"}


class HookExamples(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="agentlog-hooks-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.sink = (DaemonSink if have_daemon() else InboxSink)(self.tmp)
        self.addCleanup(self.sink.close)
        self.cid = str(uuid.uuid4())
        self.env = client_env(self.sink, AGENTLOG_CORRELATION_ID=self.cid)

    def events(self, n):
        evs = self.sink.events(n)
        self.assertEqual(len(evs), n, json.dumps(evs, indent=1))
        return evs

    def test_claude_code_settings(self):
        with open(SETTINGS) as f:
            settings = json.load(f)
        hooks = settings["hooks"]
        self.assertEqual(sorted(hooks), sorted(EVENTS))
        commands = {}
        for event, groups in hooks.items():
            self.assertEqual(len(groups), 1, event)
            g = groups[0]
            if event in TOOL_EVENTS:
                self.assertEqual(g.get("matcher"), "*", event)
            for h in g["hooks"]:
                self.assertEqual(h["type"], "command")
                self.assertIs(h["async"], True, event)
                self.assertLessEqual(h.get("timeout", 60), 60)
                self.assertEqual(shlex.split(h["command"])[:3],
                                 ["agentlogctl", "hook", "claude-code"])
                commands[event] = h["command"]
        # The snippet's own command lines, run by a shell the way Claude
        # Code runs them, log what they should.
        sid = str(uuid.uuid4())
        env = dict(self.env)
        del env["AGENTLOG_CORRELATION_ID"]
        for event, extra in (("SessionStart", {"source": "startup"}),
                             ("PreToolUse", {"tool_name": "Read", "tool_use_id": "t1",
                                             "tool_input": {"file_path": "/a"}}),
                             ("PostToolUse", {"tool_name": "Read", "tool_use_id": "t1",
                                              "tool_input": {"file_path": "/a"},
                                              "tool_response": {}}),
                             ("SessionEnd", {"reason": "other"})):
            p = dict(session_id=sid, hook_event_name=event, cwd=self.tmp,
                     transcript_path="/home/u/.claude/projects/p/%s.jsonl" % sid, **extra)
            r = subprocess.run(["sh", "-c", commands[event]], input=json.dumps(p),
                               text=True, capture_output=True, env=env, timeout=30)
            self.assertEqual((r.returncode, r.stdout), (0, ""), r.stderr)
        evs = self.events(3)
        self.assertEqual([e["action_name"] for e in evs],
                         ["session_start", "Read", "session_end"])
        self.assertTrue(all(e["correlation_id"] == sid for e in evs))
        self.assertIn("duration_ms", evs[1])

    def test_shell_step(self):
        t0 = time.monotonic()
        ok = subprocess.run([STEP, "build", "sh", "-c", "sleep 0.1; echo built"],
                            capture_output=True, text=True, env=self.env, timeout=30)
        wall = (time.monotonic() - t0) * 1000
        self.assertEqual((ok.returncode, ok.stdout, ok.stderr), (0, "built\n", ""))
        bad = subprocess.run([STEP, "test", "sh", "-c", "echo oops >&2; exit 3"],
                             capture_output=True, text=True, env=self.env, timeout=30)
        self.assertEqual((bad.returncode, bad.stdout, bad.stderr), (3, "", "oops\n"))
        usage = subprocess.run([STEP, "alone"], capture_output=True, env=self.env)
        self.assertEqual(usage.returncode, 2)
        build, test, err = self.events(3)
        self.assertEqual((build["agent_name"], build["action_type"], build["action_name"]),
                         ("shell", "tool_call", "build"))
        self.assertEqual(build["correlation_id"], self.cid)
        self.assertEqual(build["action_details"],
                         {"command": "sh", "argc": 3, "exit_status": 0})
        self.assertTrue(100 <= build["duration_ms"] <= wall + 5, build)
        self.assertEqual((test["action_type"], err["action_type"]), ("tool_call", "error"))
        self.assertEqual(err["action_details"]["exit_status"], 3)

    def test_git_post_commit(self):
        if not shutil.which("git"):
            self.skipTest("git is not installed")
        repo = os.path.join(self.tmp, "my repo")
        env = dict(self.env, AGENTLOG_AGENT="coder", GIT_AUTHOR_NAME="A",
                   GIT_AUTHOR_EMAIL="a@example.org", GIT_COMMITTER_NAME="A",
                   GIT_COMMITTER_EMAIL="a@example.org", HOME=self.tmp,
                   GIT_CONFIG_NOSYSTEM="1")

        def git(*args):
            return subprocess.run(["git", "-C", repo] + list(args), env=env, check=True,
                                  capture_output=True, text=True).stdout
        os.makedirs(repo)
        git("init", "-q", "-b", "main")
        shutil.copy(POST_COMMIT, os.path.join(repo, ".git", "hooks", "post-commit"))
        for name in ("a.c", "b.c"):
            with open(os.path.join(repo, name), "w") as f:
                f.write("int x;\n")
        git("add", ".")
        out = subprocess.run(["git", "-C", repo, "commit", "-q", "-m", 'Say "hi"\n\nbody'],
                             env=env, capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout, "")
        head = git("rev-parse", "--short", "HEAD").strip()
        ev, = self.events(1)
        self.assertEqual((ev["agent_name"], ev["action_type"], ev["action_name"],
                          ev["correlation_id"]), ("coder", "success", "git_commit", self.cid))
        self.assertEqual(ev["action_details"],
                         {"repo": "my repo", "branch": "main", "commit": head,
                          "files_changed": 2, "subject": 'Say "hi"'})
        # No agentlogctl at all: the commit still succeeds, silently.
        env["PATH"] = "/usr/bin:/bin"
        env["AGENTLOG_JOURNAL_DIR"] = "/dev/null/none"
        with open(os.path.join(repo, "a.c"), "a") as f:
            f.write("int y;\n")
        out = subprocess.run(["git", "-C", repo, "commit", "-qam", "more"], env=env,
                             capture_output=True, text=True)
        self.assertEqual((out.returncode, out.stdout, out.stderr), (0, "", ""))


if __name__ == "__main__":
    unittest.main(verbosity=2)
