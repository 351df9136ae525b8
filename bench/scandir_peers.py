"""runit and s6 as peers: daemontools-style supervision trees over a scan directory.

Both adapters build the same sandbox (bench/README.md, "Peers", says what is comparable):
  <sandbox>/<scan>/<job>/run        #!/bin/sh, `exec 2>&1`, then `exec` the job's argv
  <sandbox>/<scan>/<job>/log/run    the peer's own logger into <sandbox>/logs/<job>/current
  <sandbox>/<scan>/<job>/down       restart = "never": started once after the daemon is up
Every job gets a logger, as supd captures every job; restart "on-failure" is "always" here
(neither peer has it, and the jobs the harness stops are stopped on purpose).

Memory: peak_rss_kib() is the sum of VmHWM over the whole supervision tree (the scanner,
every per-service supervisor and every logger), not the scanner alone: that is what the
supervisor costs. The row note run.py writes beside it describes the scanner process only.
"""
import math
import os
import shlex
import shutil
import signal
import subprocess
import time

from procs import spawn, wait_until

PATH = "/usr/local/bin:/usr/bin:/bin"
RUNIT_SIGNALS = {"USR1": "1", "USR2": "2", "HUP": "h", "TERM": "t", "INT": "i", "ALRM": "a",
                 "QUIT": "q", "KILL": "k", "STOP": "p", "CONT": "c"}
S6_SIGNALS = dict(RUNIT_SIGNALS, WINCH="y")
S6_LOG_MAX = 268435455  # s6-log clamps its `s` (rotate at that size) to this


def _write_exec(path, text):
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + text)
    os.chmod(path, 0o755)


def _proc_table():
    """{pid: (ppid, comm, state)} of every process, from /proc/<pid>/stat."""
    table = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                text = f.read()
        except OSError:
            continue
        comm = text[text.index("(") + 1:text.rindex(")")]
        rest = text.rsplit(")", 1)[1].split()
        table[int(d)] = (int(rest[1]), comm, rest[0])
    return table


def _vm_hwm_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _alive_under(path):
    """Live processes whose command line or working directory names PATH. runsv and
    s6-supervise run as `runsv j0` in their service dir: only their cwd names the sandbox."""
    out = []
    for pid, (_, _, state) in _proc_table().items():
        if pid == os.getpid() or state == "Z":
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                named = path.encode() in f.read()
            named = named or os.readlink(f"/proc/{pid}/cwd").startswith(path)
        except OSError:
            continue
        if named:
            out.append(pid)
    return out


class ScanDirPeer:
    """What runit and s6 share: the service dirs, the process tree, the shutdown check."""
    name = ""
    programs = ()        # what missing() looks for
    package = ""
    scanner = ""         # the daemon started with the scan dir
    tree = ()            # comm names of the supervision processes (memory sum)
    status_ok = (0,)

    @classmethod
    def missing(cls):
        absent = [p for p in cls.programs if not shutil.which(p, path=PATH)]
        if absent:
            return (f"{', '.join(absent)} not installed (make bench PEERS={cls.name} installs the "
                    f"{cls.package} package)")
        return None

    def __init__(self, bench, sandbox, jobs):
        self.bench, self.dir, self.jobs = bench, sandbox, jobs
        self.scan = os.path.join(sandbox, "scan")
        self.logs = os.path.join(sandbox, "logs")
        self.env = {"PATH": PATH, "LC_ALL": "C", "HOME": sandbox}
        self.pid = None
        self.names = [j.name for j in jobs]
        longest = max((j.stop_timeout or 10.0 for j in jobs), default=10.0)  # supd's default: 10 s
        self.stop_secs = max(1, math.ceil(longest))  # runit's -w takes whole seconds
        os.mkdir(self.scan, 0o755)
        os.mkdir(self.logs, 0o700)
        for j in jobs:
            svc = self.svc(j.name)
            os.makedirs(os.path.join(svc, "log"))
            os.mkdir(os.path.join(self.logs, j.name))
            _write_exec(os.path.join(svc, "run"), f"exec 2>&1\nexec {shlex.join(j.argv)}\n")
            _write_exec(os.path.join(svc, "log", "run"), f"exec {self.logger(j)}\n")
            if j.restart == "never":
                open(os.path.join(svc, "down"), "w").close()
            self.service_extras(svc, j)

    def svc(self, name):
        return os.path.join(self.scan, name)

    def start(self):
        out = os.open(os.path.join(self.dir, f"{self.name}.output"), os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                      0o644)
        try:
            self.pid = spawn(self.scanner_argv(), env=self.env, stdout=out, stderr=out)
        finally:
            os.close(out)
        # restart = "never": a `down` file kept it from starting; "once" starts it without a
        # restart. The supervisor must be listening first (not timed: only the log metric has these).
        for j in self.jobs:
            if j.restart == "never":
                argv = self.once_argv(j.name)
                if not wait_until(lambda: self.run(argv).returncode == 0, 30, 0.01):
                    raise RuntimeError(f"{self.name}: `{' '.join(argv)}` failed for 30 s")

    def run(self, argv, timeout=60):
        return subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=timeout)

    def daemon_pid(self):
        return self.pid

    def peak_rss_kib(self):
        children = {}
        for pid, (ppid, comm, _) in _proc_table().items():
            if comm in self.tree:
                children.setdefault(ppid, []).append(pid)
        tree, frontier = [self.pid], [self.pid]
        while frontier:
            kids = children.get(frontier.pop(), [])
            tree += kids
            frontier += kids
        return sum(_vm_hwm_kib(p) for p in tree)

    def log_path(self, job):
        return os.path.join(self.logs, job, "current")

    def shutdown(self):
        if self.pid is None:
            return
        try:
            self.stop_tree()
        finally:
            self.wait_scanner()
            self.reap_tree()

    def wait_scanner(self):
        """Reaps the scanner (killed past the deadline); once only."""
        if self.pid is not None:
            self.bench.procs.wait(self.pid, self.stop_secs + 60, quiet=True)
            self.pid = None

    def reap_tree(self):
        """Until nothing naming the sandbox runs; leftovers are killed and reported (the
        harness's own sweep only sees command lines, not runsv's or s6-supervise's)."""
        deadline = self.stop_secs + 30

        def gone():
            self.bench.procs.reap()  # the orphaned supervisors come back to the harness
            return not _alive_under(self.dir)
        if wait_until(gone, deadline, 0.02):
            return
        left = _alive_under(self.dir)
        table = _proc_table()
        self.bench.warnings.append(f"{self.name}: {len(left)} process(es) still up {deadline} s after "
                                   f"shutdown, killed: {sorted({table.get(p, (0, '?'))[1] for p in left})}")
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        wait_until(gone, 10, 0.02)


class Runit(ScanDirPeer):
    """runit 2.1 (runsvdir, runsv, sv, svlogd). runsvdir -P over the scan dir, one runsv per job
    (it also runs the job's log/run: `svlogd` with `s0` in <logs>/<job>/config, so `current` is
    never rotated). stop_timeout is the client's: `sv -w SECS force-stop` (whole seconds, at
    least 1) sends TERM, polls every 420 ms and sends KILL past SECS. Memory: runsvdir + every
    runsv + every svlogd."""
    name = "runit"
    programs = ("runsvdir", "runsv", "sv", "svlogd")
    package = "runit"
    tree = ("runsvdir", "runsv", "svlogd")

    def __init__(self, bench, sandbox, jobs):
        super().__init__(bench, sandbox, jobs)
        self.sv = shutil.which("sv", path=PATH)
        self.env["SVDIR"] = self.scan  # `sv status j0` means $SVDIR/j0

    def logger(self, job):
        with open(os.path.join(self.logs, job.name, "config"), "w") as f:
            f.write("s0\n")  # no size limit: svlogd never rotates `current`
        return f"svlogd {shlex.quote(os.path.join(self.logs, job.name))}"

    def service_extras(self, svc, job):
        pass

    def scanner_argv(self):
        # runsvdir sleeps a second before its scan when the dir changed in the current second:
        # the dirs are aged instead (services exist long before their supervisor starts).
        past = time.time() - 5
        os.utime(self.scan, (past, past))
        return [shutil.which("runsvdir", path=PATH), "-P", self.scan]

    def once_argv(self, name):
        return [self.sv, "once", name]

    def ctl_status(self, names):
        return [self.sv, "status", *(names or self.names)]

    def ctl_signal(self, name, sig):
        return [self.sv, RUNIT_SIGNALS[sig], name]

    def ctl_stop_all(self):
        argv = [self.sv, "-w", str(self.stop_secs), "force-stop", *self.names]
        if any(j.stop_timeout is not None for j in self.jobs):
            # Jobs meant to outlive TERM: sv exits with the number it had to kill (up to 99;
            # 100 is its own failure). The shell costs about a millisecond of a 2 s metric.
            return ["/bin/sh", "-c", '"$@"; [ $? -lt 100 ]', "sh", *argv]
        return argv

    def start_all(self):
        r = self.run([self.sv, "up", *self.names])
        if r.returncode != 0:
            raise RuntimeError(f"sv up: exit {r.returncode}: {r.stdout.strip()} {r.stderr.strip()}")
        self.wait_settled(len(self.names))

    def wait_settled(self, n, timeout=120):
        def running():  # "run: j0: (pid 123) 4s; run: log: (pid 122) 4s"
            r = self.run([self.sv, "status", *self.names])
            return sum(line.startswith("run: ") for line in r.stdout.splitlines()) >= n
        if not wait_until(running, timeout, 0.05):
            raise RuntimeError(f"runit: not all {n} jobs running after {timeout} s")

    def job_pid(self, name):
        with open(os.path.join(self.svc(name), "supervise", "pid")) as f:
            text = f.read().strip()
        if not text or text == "0":
            raise RuntimeError(f"runit: {name} is not running")
        return int(text)

    def stop_tree(self):
        # runsvdir exits at once on TERM and leaves its runsv alone (HUP would make it TERM
        # them, but it would also restart any runsv that exits before it does). Then each
        # runsv stops its job (KILL past stop_secs), its logger drains, and it exits.
        os.kill(self.pid, signal.SIGTERM)
        self.wait_scanner()
        r = self.run([self.sv, "-w", str(self.stop_secs), "force-shutdown", *self.names],
                     timeout=self.stop_secs + 60)
        if r.returncode >= 100:
            self.bench.warnings.append(f"runit: sv force-shutdown: exit {r.returncode}: {r.stderr.strip()}")


class S6(ScanDirPeer):
    """s6 2.11 (s6-svscan, s6-supervise, s6-svc, s6-svstat, s6-svwait, s6-log). s6-svscan over
    the scan dir, one s6-supervise per job and one per job's log/, whose run is
    `s6-log -b s268435455 <logs>/<job>` (its largest `current`; -b: back-pressure, not memory).
    stop_timeout is the service's `timeout-kill` file (ms): s6-supervise sends KILL itself.
    Every "all" is a /bin/sh loop over the dirs (s6-svc and s6-svstat take one dir): status of
    all, stop all (`s6-svc -d` each, then `s6-svwait -D -a` on all). Memory: s6-svscan + every
    s6-supervise + every s6-log."""
    name = "s6"
    programs = ("s6-svscan", "s6-supervise", "s6-svc", "s6-svstat", "s6-svwait", "s6-log")
    package = "s6"
    tree = ("s6-svscan", "s6-supervise", "s6-log")

    def __init__(self, bench, sandbox, jobs):
        super().__init__(bench, sandbox, jobs)
        self.svc_bin = shutil.which("s6-svc", path=PATH)
        self.dirs = [self.svc(n) for n in self.names]

    def logger(self, job):
        return f"s6-log -b s{S6_LOG_MAX} {shlex.quote(os.path.join(self.logs, job.name))}"

    def service_extras(self, svc, job):
        ms = round((job.stop_timeout if job.stop_timeout is not None else 10.0) * 1000)
        with open(os.path.join(svc, "timeout-kill"), "w") as f:
            f.write(f"{ms}\n")

    def scanner_argv(self):
        return [shutil.which("s6-svscan", path=PATH), self.scan]

    def once_argv(self, name):
        return [self.svc_bin, "-o", self.svc(name)]

    def ctl_status(self, names):
        if len(names) == 1:
            return [shutil.which("s6-svstat", path=PATH), self.svc(names[0])]
        dirs = [self.svc(n) for n in names] if names else self.dirs
        return ["/bin/sh", "-c", 'for d; do s6-svstat "$d" || exit; done', "sh", *dirs]

    def ctl_signal(self, name, sig):
        return [self.svc_bin, "-" + S6_SIGNALS[sig], self.svc(name)]

    def ctl_stop_all(self):
        return ["/bin/sh", "-c", 'for d; do s6-svc -d "$d" || exit; done; exec s6-svwait -D -a "$@"',
                "sh", *self.dirs]

    def start_all(self):
        for d in self.dirs:
            r = self.run([self.svc_bin, "-u", d])
            if r.returncode != 0:
                raise RuntimeError(f"s6-svc -u {d}: exit {r.returncode}: {r.stderr.strip()}")
        self.wait_settled(len(self.dirs))

    def wait_settled(self, n, timeout=120):
        # s6-svwait waits on the supervisors' events, not by polling. It needs them listening.
        if not wait_until(lambda: all(os.path.exists(os.path.join(d, "supervise", "status"))
                                      for d in self.dirs), timeout, 0.02):
            raise RuntimeError(f"s6: the supervisors did not start in {timeout} s")
        r = self.run([shutil.which("s6-svwait", path=PATH), "-u", "-a", "-t", str(timeout * 1000),
                      *self.dirs[:n]], timeout=timeout + 10)
        if r.returncode != 0:
            raise RuntimeError(f"s6: not all {n} jobs up after {timeout} s: {r.stderr.strip()}")

    def job_pid(self, name):
        r = self.run([shutil.which("s6-svstat", path=PATH), "-o", "pid", self.svc(name)])
        pid = int(r.stdout.strip() or -1) if r.returncode == 0 else -1
        if pid <= 0:
            raise RuntimeError(f"s6: {name} is not running: {r.stdout.strip()} {r.stderr.strip()}")
        return pid

    def log_path(self, job):
        # s6-log rotates `current` at S6_LOG_MAX at most: more than that from one writer cannot
        # land in one file. Fail before the writer starts rather than after the 600 s wait.
        for j in self.jobs:
            if j.name == job and os.path.basename(j.argv[0]) == "gatewriter":
                total = int(j.argv[2]) * int(j.argv[3])
                if total > S6_LOG_MAX:
                    raise RuntimeError(f"s6-log rotates `current` at {S6_LOG_MAX} bytes at most; "
                                       f"{total} bytes cannot land in one file (bench/README.md)")
        return super().log_path(job)

    def stop_tree(self):
        # On TERM s6-svscan brings every service down (timeout-kill applies), its loggers
        # drain and exit, then it exits.
        os.kill(self.pid, signal.SIGTERM)
