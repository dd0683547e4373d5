"""contrib/man: the three man pages render without a warning (groff -ww and
man -l), `cmake --install` puts them in place, and each page documents
exactly the options its program has: every option of the program's --help
is in the page, and every option the page describes is in the program."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

BUILD = os.environ.get("AGENTLOG_BUILD", os.path.join(os.getcwd(), "build"))
SOURCE = os.environ.get("AGENTLOG_SOURCE", os.getcwd())
MAN = os.path.join(SOURCE, "contrib", "man")
PAGES = {
    "agentlogd.8": os.path.join(BUILD, "daemon", "agentlogd"),
    "agentlogctl.1": os.path.join(BUILD, "client", "agentlogctl"),
    "agentlog-pgwriter.8": os.path.join(BUILD, "contrib", "pgwriter", "agentlog-pgwriter"),
}

LONG = re.compile(r"(?<![\w-])--([a-z][a-z0-9-]*)")
SHORT = re.compile(r"(?<![\w-])-([a-zA-Z])\b")


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=60, **kw)


def page_text(page):
    """The page rendered as plain text, 80 columns."""
    p = run(["man", "-l", os.path.join(MAN, page)],
            env=dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="0", PAGER="cat",
                     MANPAGER="cat", LC_ALL="C.UTF-8"))
    assert p.returncode == 0, p.stderr
    return re.sub(r".\x08", "", p.stdout)


def options_section(page):
    """The source of the OPTIONS section (agentlogctl: COMMANDS and
    OPTIONS), roff escapes undone."""
    with open(os.path.join(MAN, page)) as f:
        src = re.sub(r"\\f[BIRP]", "", f.read().replace("\\-", "-"))
    sections = re.split(r"^\.SH ", src, flags=re.M)
    keep = [s for s in sections if s.startswith(("OPTIONS", "COMMANDS"))]
    return "\n".join(keep)


def documented(page):
    """Options the page describes: those on the heading line of a .TP
    item, and in command summaries."""
    text = options_section(page)
    heads = re.findall(r"^\.TP\n(.*)$", text, re.M)
    longs, shorts = set(), set()
    for h in heads:
        longs |= set(LONG.findall(h))
        shorts |= set(SHORT.findall(h))
    # agentlogctl's commands name their options inline (".B --agent").
    longs |= set(re.findall(r"^\.B[IR]* --([a-z][a-z0-9-]*)", text, re.M))
    return longs, shorts


def program_options(binary, args=()):
    p = run([binary] + list(args) + ["--help"])
    assert p.returncode == 0, p.stderr
    text = re.split(r"^Example", p.stdout, maxsplit=1, flags=re.M)[0]
    text = re.sub(r"\(e\.g\.[^)]*\)", "", text)
    return set(LONG.findall(text)), set(SHORT.findall(text))


@unittest.skipUnless(shutil.which("man") and shutil.which("groff"),
                     "man or groff missing (Debian packages man-db, groff-base)")
class ManPages(unittest.TestCase):
    def test_render_without_warnings(self):
        for page in PAGES:
            path = os.path.join(MAN, page)
            p = run(["groff", "-man", "-Tutf8", "-ww", "-z", path])
            self.assertEqual((p.returncode, p.stderr), (0, ""), page)
            for width in ("80", "120"):
                p = run(["man", "--warnings", "-l", path],
                        env=dict(os.environ, MANWIDTH=width, PAGER="cat", MANPAGER="cat"))
                self.assertEqual((p.returncode, p.stderr), (0, ""), (page, width))
            text = page_text(page)
            name = page.rsplit(".", 1)[0]
            self.assertIn("NAME", text)
            self.assertIn(name + " - ", text)
            for section in ("SYNOPSIS", "DESCRIPTION", "EXIT STATUS", "SEE ALSO"):
                self.assertIn("\n" + section + "\n", text, page)

    def test_installed(self):
        cmake = shutil.which("cmake")
        if not cmake:
            self.skipTest("cmake not on PATH")
        with tempfile.TemporaryDirectory() as prefix:
            p = run([cmake, "--install", BUILD, "--prefix", prefix])
            self.assertEqual(p.returncode, 0, p.stderr)
            for page, binary in PAGES.items():
                sect = page.rsplit(".", 1)[1]
                path = os.path.join(prefix, "share", "man", "man" + sect, page)
                if page == "agentlog-pgwriter.8" and not os.path.exists(binary):
                    continue     # built without the pgwriter
                self.assertTrue(os.path.isfile(path), path)

    def check_page(self, page, helps):
        longs, shorts = set(), set()
        for lo, sh in helps:
            longs |= lo
            shorts |= sh
        doc_long, doc_short = documented(page)
        self.assertEqual(longs - doc_long, set(), "options of %s missing in its page" % page)
        self.assertEqual(doc_long - longs, set(), "options in %s the program lacks" % page)
        self.assertEqual(shorts - doc_short, set(), page)

    def test_agentlogd_options(self):
        binary = PAGES["agentlogd.8"]
        if not os.access(binary, os.X_OK):
            self.skipTest("agentlogd not built")
        self.check_page("agentlogd.8", [program_options(binary)])

    def test_pgwriter_options(self):
        binary = PAGES["agentlog-pgwriter.8"]
        if not os.access(binary, os.X_OK):
            self.skipTest("agentlog-pgwriter not built")
        self.check_page("agentlog-pgwriter.8", [program_options(binary)])

    def test_agentlogctl_commands_and_options(self):
        binary = PAGES["agentlogctl.1"]
        if not os.access(binary, os.X_OK):
            self.skipTest("agentlogctl not built")
        out = run([binary, "--help"]).stdout
        cmds = re.findall(r"^  ([a-z][a-z-]*)\b", out, re.M)
        aliases = re.findall(r"^\s+also: ([a-z-]+)", out, re.M)
        self.assertIn("hook", cmds)
        section = options_section("agentlogctl.1")
        for c in cmds:
            self.assertTrue(re.search(r"(?m)^\.TP\n\.BR? %s\b" % re.escape(c), section),
                            "command %s is not in agentlogctl.1" % c)
        for a in aliases:
            self.assertTrue(re.search(r'\(also " %s \)' % re.escape(a), section),
                            "alias %s is not in agentlogctl.1" % a)
        helps = [program_options(binary, [c]) for c in cmds]
        # Each skill flag also answers to its field's name with dashes: the
        # page mentions one such alias; accept the aliases the help lists.
        fields = set()
        for c in cmds:
            fields |= {f.replace("_", "-") for f in
                       re.findall(r'-> "([a-z_]+)"', run([binary, c, "--help"]).stdout)}
        helps.append((fields & documented("agentlogctl.1")[0], set()))
        helps.append(({"help"}, {"h"}))     # every command answered --help above
        self.check_page("agentlogctl.1", helps)


if __name__ == "__main__":
    unittest.main(verbosity=2)
