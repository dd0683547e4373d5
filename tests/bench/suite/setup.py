"""What the full run needs before it measures anything: the tree built,
and the alternatives it is compared with, from Debian's packages.

- kcat, python3-confluent-kafka, hyperfine and the shared libraries rsyslog
  and syslog-ng link against: installed with apt-get (as root).
- rsyslog + rsyslog-kafka and syslog-ng-core + syslog-ng-mod-rdkafka:
  `apt-get download` + `dpkg -x` into a cache directory, never installed:
  the two conflict as packages, and an installed one would start a system
  service.  The suite runs each from there in the foreground (competitors.py).
"""
import glob
import os
import shutil
import subprocess

from common import log

APT = ["kcat", "python3-confluent-kafka", "hyperfine",
       # what rsyslogd, omkafka, syslog-ng and kafka-c link against
       "libestr0", "libfastjson4", "liblognorm5", "librdkafka1",
       "libivykis0", "libnet1", "libwrap0", "libjson-c5", "libpcre3",
       "libglib2.0-0"]
UNPACK = {"rsyslog": ["rsyslog", "rsyslog-kafka"],
          "syslog-ng": ["syslog-ng-core", "syslog-ng-mod-rdkafka"]}
BINARY = {"rsyslog": "usr/sbin/rsyslogd", "syslog-ng": "usr/sbin/syslog-ng"}


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.environ.get("AGENTLOG_BENCH_CACHE",
                          os.path.join(base, "agentlog-bench"))


def build(source, build_dir):
    """Configure (first time) and build the tree; returns build_dir."""
    if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
        subprocess.run(["cmake", "-S", source, "-B", build_dir,
                        "-DCMAKE_BUILD_TYPE=RelWithDebInfo"], check=True,
                       stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build_dir, "-j2"], check=True,
                   stdout=subprocess.DEVNULL)
    return build_dir


def _installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg],
                       capture_output=True, text=True)
    return r.returncode == 0 and "install ok installed" in r.stdout


def _apt(*args):
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    return subprocess.run(["apt-get", "-q", "-y"] + list(args), env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)


def install_packages():
    """apt-get install what is missing (root only); returns what is still
    missing afterwards."""
    missing = [p for p in APT if not _installed(p)]
    if missing and os.geteuid() == 0:
        log("setup: apt-get install %s" % " ".join(missing))
        if _apt("install", "--no-install-recommends", *missing).returncode:
            _apt("update")
            _apt("install", "--no-install-recommends", *missing)
        missing = [p for p in APT if not _installed(p)]
    return missing


def unpack_competitors(download):
    """{name: root} of each competitor unpacked under the cache directory,
    downloading the packages first when download is true."""
    roots = {}
    for name, pkgs in UNPACK.items():
        root = os.path.join(cache_dir(), name)
        if not os.path.exists(os.path.join(root, BINARY[name])) and download:
            _unpack(root, pkgs)
        if os.path.exists(os.path.join(root, BINARY[name])):
            roots[name] = root
    return roots


def _unpack(root, pkgs):
    debs = os.path.join(cache_dir(), "debs")
    os.makedirs(debs, exist_ok=True)
    log("setup: apt-get download %s; dpkg -x into %s" % (" ".join(pkgs), root))
    r = subprocess.run(["apt-get", "download"] + pkgs, cwd=debs,
                       capture_output=True, text=True)
    if r.returncode:
        _apt("update")
        subprocess.run(["apt-get", "download"] + pkgs, cwd=debs,
                       capture_output=True, text=True)
    shutil.rmtree(root, ignore_errors=True)
    for p in pkgs:
        for deb in sorted(glob.glob(os.path.join(debs, p + "_*.deb")))[-1:]:
            subprocess.run(["dpkg", "-x", deb, root], check=True)


def package_versions(names):
    """{package: version} of installed or downloaded packages."""
    out = {}
    for p in names:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", p],
                           capture_output=True, text=True)
        if r.returncode == 0 and r.stdout:
            out[p] = r.stdout
            continue
        debs = sorted(glob.glob(os.path.join(cache_dir(), "debs",
                                             p + "_*.deb")))
        if debs:
            out[p] = os.path.basename(debs[-1]).split("_")[1]
    return out
