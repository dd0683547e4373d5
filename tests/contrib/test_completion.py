"""contrib/completions: the bash and zsh completions of agentlogctl load,
and offer exactly the commands and options the built agentlogctl has
(read from its --help, command by command)."""
import os
import re
import shutil
import subprocess
import unittest

BUILD = os.environ.get("AGENTLOG_BUILD", os.path.join(os.getcwd(), "build"))
SOURCE = os.environ.get("AGENTLOG_SOURCE", os.getcwd())
AGENTLOGCTL = os.path.join(BUILD, "client", "agentlogctl")
BASH = os.path.join(SOURCE, "contrib", "completions", "agentlogctl.bash")
ZSH = os.path.join(SOURCE, "contrib", "completions", "_agentlogctl")

FLAG = re.compile(r"(?<![\w-])--([a-z][a-z0-9-]*)")


def ctl_help(*args):
    p = subprocess.run([AGENTLOGCTL] + list(args) + ["--help"], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout


def commands():
    """{command: [alias or None]} from `agentlogctl --help`."""
    out = ctl_help()
    cmds, last = {}, None
    for line in out.splitlines():
        m = re.match(r"^  ([a-z][a-z-]*)\b", line)
        if m:
            last = m.group(1)
            cmds[last] = None
        m = re.match(r"^\s+also: ([a-z-]+)", line)
        if m and last:
            cmds[last] = m.group(1)
    return cmds


def help_flags(cmd):
    """The options a command's --help names, up to its examples (which
    may show other programs' options), leaving out "(e.g. ...)" asides."""
    text = re.split(r"^Example", ctl_help(cmd), maxsplit=1, flags=re.M)[0]
    text = re.sub(r"\(e\.g\.[^)]*\)", "", text)
    return {"--" + f for f in FLAG.findall(text)} | {"--help"}


def complete(*words):
    """What the bash completion offers for the words (the last one being
    completed), run in a fresh bash the way readline calls it."""
    script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); '
              '_agentlogctl; printf "%s\\n" "${COMPREPLY[@]}"')
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script, "bash", BASH]
                       + list(words), capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return set(l for l in p.stdout.splitlines() if l)


@unittest.skipUnless(os.access(AGENTLOGCTL, os.X_OK), "agentlogctl not built")
class BashCompletion(unittest.TestCase):
    def test_loads_and_registers(self):
        p = subprocess.run(["bash", "-n", BASH], capture_output=True, text=True)
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        p = subprocess.run(["bash", "--norc", "--noprofile", "-c",
                            'source "$1" && complete -p agentlogctl', "bash", BASH],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), "complete -F _agentlogctl agentlogctl")

    def test_commands(self):
        cmds = commands()
        want = set(cmds) | {a for a in cmds.values() if a} | {"--help", "--version"}
        self.assertIn("hook", want)
        self.assertEqual(complete("agentlogctl", ""), want)
        self.assertEqual(complete("agentlogctl", "tr"), {"trace", "transformation"})

    def test_options_of_every_command(self):
        for cmd, alias in commands().items():
            want = help_flags(cmd)
            for name in filter(None, (cmd, alias)):
                self.assertEqual(complete("agentlogctl", name, "--"), want, name)
            # Options already given do not stop the completion.
            self.assertEqual(complete("agentlogctl", cmd, "--timeout", "5", "--"), want, cmd)

    def test_values(self):
        self.assertEqual(complete("agentlogctl", "agent-action", "--action-type", ""),
                         {"tool_call", "decision", "error", "success"})
        self.assertEqual(complete("agentlogctl", "trace", "--from", ""),
                         {"journal", "kafka", "auto"})
        self.assertEqual(complete("agentlogctl", "replay", "--format", ""),
                         {"ndjson", "table"})
        self.assertEqual(complete("agentlogctl", "replay", "--topic", "agent-r"),
                         {"agent-routing-decisions"})
        self.assertEqual(complete("agentlogctl", "transformation", "--success", ""),
                         {"true", "false"})
        self.assertEqual(complete("agentlogctl", "journal", "--journal-dir", "/tmp", ""),
                         {"dump", "inbox"})
        self.assertEqual(complete("agentlogctl", "hook", ""), {"claude-code"})
        self.assertEqual(complete("agentlogctl", "send", "--correlation-id", ""), set())
        d = os.path.join(BUILD, "client")
        self.assertIn(AGENTLOGCTL, complete("agentlogctl", "status", "--socket", d + "/"))


@unittest.skipUnless(os.access(AGENTLOGCTL, os.X_OK), "agentlogctl not built")
class ZshCompletion(unittest.TestCase):
    def blocks(self):
        """{command: text of its branch} from the zsh function's case."""
        with open(ZSH) as f:
            text = f.read()
        case = text[text.index("case $words[1] in"):]
        out = {}
        for m in re.finditer(r"^\t\t([a-z|-]+)\)\n(.*?)^\t\t\t;;", case, re.M | re.S):
            for name in m.group(1).split("|"):
                out[name] = m.group(2)
        return text, out

    def test_syntax_and_registration(self):
        if not shutil.which("zsh"):
            self.skipTest("zsh is not installed (Debian package zsh)")
        p = subprocess.run(["zsh", "-n", ZSH], capture_output=True, text=True)
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        d = os.path.dirname(ZSH)
        p = subprocess.run(["zsh", "-f", "-c",
                            'fpath=("$1" $fpath); autoload -U compinit; '
                            'compinit -u -D; print -r -- $_comps[agentlogctl]', "zsh", d],
                           capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, HOME=d))
        self.assertEqual(p.stdout.strip(), "_agentlogctl", p.stderr)

    def test_same_commands_and_options(self):
        text, blocks = self.blocks()
        publish = set(FLAG.findall(text[text.index("publish=("):text.index("source=(")]))
        source = set(FLAG.findall(text[text.index("source=("):text.index("_arguments -C")]))
        for cmd, alias in commands().items():
            for name in filter(None, (cmd, alias)):
                self.assertIn("'%s:" % name, text, name)      # described
                self.assertIn(name, blocks, name)
                got = set(FLAG.findall(blocks[name]))
                if "$publish" in blocks[name]:
                    got |= publish
                if "$source" in blocks[name]:
                    got |= source
                self.assertEqual({"--" + f for f in got}, help_flags(cmd), name)


if __name__ == "__main__":
    unittest.main(verbosity=2)
