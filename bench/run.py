#!/usr/bin/env python3
"""supd's benchmark: supd and its baselines measured on the same machine in the same run.

    python3 bench/run.py --build-dir build-bench [--quick | --smoke] [--peers supervisord,...]

Prints a markdown table (metric, baseline, supd, ratio, target, met?) and writes it, with a
description of the machine, under bench/results/. Every time is a median over repeated runs
with the min-max beside it; ratios are what to compare (the machines are shared and noisy).
Standard library only. See bench/README.md for what each metric means.
"""
import argparse
import ctypes
import datetime
import fcntl
import os
import select
import signal
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from procs import Procs, now_ns, spawn, wait_until  # noqa: E402
from stamps import StampTail  # noqa: E402
from adapters import ADAPTERS, Job  # noqa: E402
import hosts  # noqa: E402
import top as top_bench  # noqa: E402
import scale  # noqa: E402

MIB = 1 << 20

# Sizes per profile. full is the issue's; quick stays under 2 minutes; smoke only proves the
# harness still runs (ctest -L bench), its numbers mean nothing.
PROFILES = {
    "full": dict(spawn_jobs=1000, spawn_runs=3, jobs=100, ctl_runs=30, restart_runs=5,
                 block_bytes=1 << 30, block_runs=3, lines=2_000_000, lines_runs=3,
                 idle_secs=10.0, stop_runs=5, ignore_runs=3, stop_timeout=2.0, order_jobs=100, order_runs=5,
                 host_counts=(1, 3, 10), host_runs=15),
    "quick": dict(spawn_jobs=100, spawn_runs=2, jobs=100, ctl_runs=10, restart_runs=3,
                  block_bytes=128 << 20, block_runs=2, lines=200_000, lines_runs=2,
                  idle_secs=2.0, stop_runs=2, ignore_runs=1, stop_timeout=2.0, order_jobs=100, order_runs=2,
                  host_counts=(1, 3, 10), host_runs=5, top_jobs=100, top_secs=5.0, top_kills=5),
    "smoke": dict(spawn_jobs=10, spawn_runs=1, jobs=5, ctl_runs=2, restart_runs=1,
                  block_bytes=1 << 20, block_runs=1, lines=2000, lines_runs=1,
                  idle_secs=0.5, stop_runs=1, ignore_runs=1, stop_timeout=0.3, order_jobs=5, order_runs=1,
                  host_counts=(1, 2), host_runs=1, top_jobs=5, top_secs=0.5, top_kills=1),
}


class Row:
    """One line of the table. kind: 'time' (ratio supd/baseline, lower is better),
    'rate' (ratio supd/baseline, higher is better) or 'abs' (supd alone against the target)."""

    def __init__(self, metric, unit, kind, target, base=None, value=None, note=""):
        self.metric, self.unit, self.kind, self.target = metric, unit, kind, target
        self.base, self.value, self.note = base, value, note

    def ratio(self):
        if not self.base or not self.value:
            return None
        b = statistics.median(self.base)
        return statistics.median(self.value) / b if b else None

    def met(self):
        if not self.value:
            return None
        if self.kind == "abs":
            return statistics.median(self.value) <= self.target
        r = self.ratio()
        if r is None:
            return None
        return r >= self.target if self.kind == "rate" else r <= self.target

    def target_text(self):
        if self.kind == "abs":
            return f"<= {self.target:g} {self.unit}".rstrip()
        return f"{'>=' if self.kind == 'rate' else '<='} {self.target:g}x"


def fmt_num(v):
    if isinstance(v, int) or v == 0:
        return str(v)
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    if abs(v) >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def fmt_samples(samples, unit):
    if not samples:
        return "–"
    med = statistics.median(samples)
    text = f"{fmt_num(med)} {unit}".rstrip()
    if len(samples) > 1:
        text += f" ({fmt_num(min(samples))}–{fmt_num(max(samples))})"
    return text


def table(rows, who):
    out = [f"| metric | baseline | {who} | ratio | target | met? |", "|---|---|---|---|---|---|"]
    for r in rows:
        ratio = r.ratio()
        met = r.met()
        cells = [r.metric + (f" ({r.note})" if r.note else ""), fmt_samples(r.base, r.unit),
                 fmt_samples(r.value, r.unit), f"{ratio:.2f}x" if ratio is not None else "–",
                 r.target_text(), "–" if met is None else ("yes" if met else "**no**")]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


class Bench:
    def __init__(self, args, profile):
        self.args, self.p = args, profile
        self.procs = Procs()
        self.helpers = os.path.join(args.build_dir, "bench", "helpers")
        self.benchjob = os.path.join(self.helpers, "benchjob")
        self.gatewriter = os.path.join(self.helpers, "gatewriter")
        self.pipecat = os.path.join(self.helpers, "pipecat")
        self.warnings = []

    def log(self, msg):
        print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    # ---- jobs and their stamp files -------------------------------------------------
    def stamp_jobs(self, n, stamps, flags=(), **kw):
        return [Job(f"j{i}", [self.benchjob, *flags, stamps, f"j{i}"], **kw) for i in range(n)]

    @staticmethod
    def read_stamps(path, word="start"):
        """[(tag, pid, ns)] of the lines starting with WORD."""
        try:
            with open(path) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            parts = line.split()
            if len(parts) == 4 and parts[0] == word:
                out.append((parts[1], int(parts[2]), int(parts[3])))
        return out

    def wait_new_stamp(self, tail, word, timeout):
        """The first WORD stamp appended after TAIL was made (see StampTail)."""
        got = wait_until(lambda: tail.new(word), timeout, 0.002)
        if not got:
            raise RuntimeError(f"no new '{word}' stamp in {timeout:.0f} s")
        return got[0]

    def wait_stamps(self, path, count, word="start", timeout=120.0):
        """All WORD stamps of the file once there are COUNT. Each poll reads only what was
        appended since the last (StampTail): re-reading thousands of stamps every 2 ms took a
        core from whatever was being timed."""
        tail, seen = StampTail(path, 0), []
        got = wait_until(lambda: (seen.extend(tail.new(word)) or len(seen) >= count) and seen, timeout, 0.002)
        if not got:
            raise RuntimeError(f"only {len(self.read_stamps(path, word))} of {count} '{word}' stamps "
                               f"in {timeout:.0f} s")
        return got

    # ---- timing of one short-lived command --------------------------------------------
    def time_cmd(self, argv, env=None, ok=(0,)):
        t0 = time.perf_counter_ns()
        pid = spawn(argv, env=env)
        status = self.procs.wait(pid, 60)
        dt = (time.perf_counter_ns() - t0) / 1e6
        if status not in ok:
            raise RuntimeError(f"{' '.join(argv[:4])}...: exit status {status}")
        return dt

    # ---- the nohup baseline: jobs started from a shell loop, orphans of the harness ----
    def nohup_start(self, sandbox, jobs):
        script = os.path.join(sandbox, "nohup.sh")  # a file: thousands of lines pass no argv limit
        with open(script, "w") as f:
            f.write("".join(f"nohup {' '.join(j.argv)} &\n" for j in jobs))
        out = os.open(os.path.join(sandbox, "nohup.out"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        t0 = now_ns()
        pid = spawn(["/bin/sh", script], stdout=out, stderr=out)
        os.close(out)
        self.procs.wait(pid, 120)
        return t0

    def kill_pids(self, pids):
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in pids:
            self.procs.wait(pid, 10, quiet=True)

    # ---- metrics ----------------------------------------------------------------------
    def spawn_and_rss(self, sup):
        n = self.p["spawn_jobs"]
        base, value, rss, rss_note = [], [], [], ""
        for run in range(self.p["spawn_runs"]):
            with self.procs.sandbox("nohup") as sb:
                stamps = os.path.join(sb, "stamps")
                jobs = self.stamp_jobs(n, stamps)
                t0 = self.nohup_start(sb, jobs)
                s = self.wait_stamps(stamps, n)
                base.append((max(ns for _, _, ns in s) - t0) / 1e6)
                self.check_alive([pid for _, pid, _ in s])
                self.kill_pids([pid for _, pid, _ in s])
            with self.procs.sandbox(sup.name) as sb:
                stamps = os.path.join(sb, "stamps")
                d = sup(self, sb, self.stamp_jobs(n, stamps))
                t0 = now_ns()
                d.start()
                try:
                    s = self.wait_stamps(stamps, n)
                    value.append((max(ns for _, _, ns in s) - t0) / 1e6)
                    self.check_alive([pid for _, pid, _ in s])
                    time.sleep(min(1.5, 0.1 * n))  # past start_secs: every job is 'running'
                    rss.append(d.peak_rss_kib() / 1024)
                    rss_note = rss_split(d.daemon_pid())
                finally:
                    d.shutdown()
            self.log(f"spawn {n} run {run + 1}: nohup {base[-1]:.0f} ms, {sup.name} {value[-1]:.0f} ms")
        return [Row(f"spawn {n} jobs, cold start to the last job running", "ms", "time", 0.5, base, value),
                Row(f"daemon peak RSS (VmHWM) with {n} jobs", "MiB", "abs", 8, None, rss, rss_note)]

    def check_alive(self, pids):
        dead = [p for p in pids if proc_state(p) in (None, "Z")]
        if dead:
            raise RuntimeError(f"{len(dead)} of {len(pids)} jobs are not alive")

    def with_jobs(self, sup):
        """One daemon with `jobs` USR1-recording jobs: status, signal, idle, stop (exit on TERM)."""
        n = self.p["jobs"]
        rows = []
        with self.procs.sandbox(sup.name) as sb:
            stamps = os.path.join(sb, "stamps")
            d = sup(self, sb, self.stamp_jobs(n, stamps, flags=("-u",)))
            d.start()
            try:
                self.wait_stamps(stamps, n)
                d.wait_settled(n)
                rows += self.status(d)
                rows += self.signal(d, stamps)
                rows += self.idle(d)
                rows += self.stop_all(d, sb, stamps, n)
            finally:
                d.shutdown()
        return rows

    def status(self, d):
        n = self.p["jobs"]
        true, one, every = [], [], []
        for _ in range(self.p["ctl_runs"]):  # interleaved, so noise hits all three alike
            true.append(self.time_cmd(["/bin/true"]))
            one.append(self.time_cmd(d.ctl_status(["j0"]), env=d.env, ok=d.status_ok))
            every.append(self.time_cmd(d.ctl_status([]), env=d.env, ok=d.status_ok))
        self.log(f"status: true {statistics.median(true):.2f} ms, one {statistics.median(one):.2f} ms, "
                 f"all {statistics.median(every):.2f} ms")
        return [Row("`status` of one job", "ms", "time", 1.2, true, one, "vs fork+exec /bin/true"),
                Row(f"`status` of all {n} jobs", "ms", "time", 2.0, true, every, "vs fork+exec /bin/true")]

    def signal(self, d, stamps):
        pid = d.job_pid("j0")
        base, value = [], []
        for _ in range(self.p["ctl_runs"]):
            for argv, env, out in ((["/bin/kill", "-USR1", str(pid)], None, base),
                                   (d.ctl_signal("j0", "USR1"), d.env, value)):
                count = len(self.read_stamps(stamps, "usr1"))
                t0 = now_ns()
                child = spawn(argv, env=env)
                s = self.wait_stamps(stamps, count + 1, "usr1", 30)
                out.append((s[-1][2] - t0) / 1e6)
                if self.procs.wait(child, 30) != 0:
                    raise RuntimeError(f"{argv[0]} exited non-zero")
        self.log(f"signal: kill {statistics.median(base):.2f} ms, ctl {statistics.median(value):.2f} ms")
        return [Row("signal USR1 until the job's handler runs", "ms", "time", 1.0, base, value,
                    "vs /bin/kill -USR1 PID")]

    def idle(self, d):
        n, secs = self.p["jobs"], self.p["idle_secs"]
        time.sleep(1.0)  # let the last client's connection close
        pid = d.daemon_pid()
        before = ctx_switches(pid)
        time.sleep(secs)
        wakeups = ctx_switches(pid) - before
        calls, top = strace_count(self.procs, pid, secs)
        self.log(f"idle: {wakeups} context switches, {calls} syscalls {top}")
        rows = [Row(f"idle, {n} jobs: wakeups (context switches) in {secs:g} s", "", "abs", 0, None, [wakeups])]
        if calls is None:
            self.warnings.append("strace is not installed: idle syscalls not measured (make bench installs it)")
        else:
            rows.append(Row(f"idle, {n} jobs: syscalls in {secs:g} s", "", "abs", 0, None, [calls], top))
        return rows

    def stop_all(self, d, sb, stamps, n):
        base, value = [], []
        for run in range(self.p["stop_runs"]):
            base.append(self.stop_baseline(n, ()))
            if run > 0:  # the daemon's jobs were stopped by the previous run: start them again
                count = len(self.read_stamps(stamps))
                d.start_all()
                self.wait_stamps(stamps, count + n)
                d.wait_settled(n)
            pids = [d.job_pid(f"j{i}") for i in range(n)]
            fds = [os.pidfd_open(p) for p in pids]
            value.append(self.time_cmd(d.ctl_stop_all(), env=d.env))
            wait_pidfds(fds, 30)
        self.log(f"stop all: kill {statistics.median(base):.1f} ms, ctl {statistics.median(value):.1f} ms")
        return [Row(f"stop all {n} jobs that exit on TERM", "ms", "time", 2.0, base, value,
                    "vs kill of every PID from a shell")]

    def stop_baseline(self, n, flags, sig="-TERM"):
        with self.procs.sandbox("nohup") as sb:
            stamps = os.path.join(sb, "stamps")
            self.nohup_start(sb, self.stamp_jobs(n, stamps, flags=flags))
            pids = [pid for _, pid, _ in self.wait_stamps(stamps, n)]
            fds = [os.pidfd_open(p) for p in pids]
            t0 = time.perf_counter_ns()
            killer = spawn(["/bin/sh", "-c", f"kill {sig} " + " ".join(map(str, pids))])
            wait_pidfds(fds, 30)
            self.procs.wait(killer, 30)
            dt = (time.perf_counter_ns() - t0) / 1e6
            self.kill_pids(pids)  # reaps them (the harness is their subreaper)
            return dt

    def stop_ignoring(self, sup):
        n, timeout = self.p["jobs"], self.p["stop_timeout"]
        value = []
        with self.procs.sandbox(sup.name) as sb:
            stamps = os.path.join(sb, "stamps")
            d = sup(self, sb, self.stamp_jobs(n, stamps, flags=("-i",), stop_timeout=timeout))
            d.start()
            try:
                for run in range(self.p["ignore_runs"]):
                    if run > 0:
                        count = len(self.read_stamps(stamps))
                        d.start_all()
                        self.wait_stamps(stamps, count + n)
                    else:
                        self.wait_stamps(stamps, n)
                    d.wait_settled(n)
                    fds = [os.pidfd_open(d.job_pid(f"j{i}")) for i in range(n)]
                    value.append(self.time_cmd(d.ctl_stop_all(), env=d.env) / 1000)
                    wait_pidfds(fds, 30)
            finally:
                d.shutdown()
        floor = [timeout + self.stop_baseline(n, ("-i",), "-KILL") / 1000 for _ in range(self.p["ignore_runs"])]
        self.log(f"stop all ignoring TERM: {statistics.median(value):.3f} s (floor {statistics.median(floor):.3f} s)")
        return [Row(f"stop all {n} jobs that ignore TERM, stop_timeout {timeout:g} s", "s", "abs",
                    timeout + 0.05, floor, value,
                    f"baseline: {timeout:g} s + kill -9 of every PID from a shell until all are gone: the floor")]

    def restart(self, sup):
        value, young = [], []
        with self.procs.sandbox(sup.name) as sb:
            stamps = os.path.join(sb, "stamps")
            d = sup(self, sb, [Job("r", [self.benchjob, stamps, "r"], restart="always")])
            d.start()
            try:
                count = 1
                for run in range(self.p["restart_runs"]):
                    _, pid, started = self.wait_stamps(stamps, count)[-1]
                    time.sleep(max(0.0, 1.25 - (now_ns() - started) / 1e9))  # up > 1.2 s
                    t0 = now_ns()
                    os.kill(pid, signal.SIGKILL)
                    count += 1
                    _, pid, started = self.wait_stamps(stamps, count, timeout=30)[-1]
                    value.append((started - t0) / 1e6)
                    # The new instance dies young: 50 ms after its start, the first early death
                    # since a run that was up (so not a crash loop yet).
                    time.sleep(max(0.0, 0.05 - (now_ns() - started) / 1e9))
                    t0 = now_ns()
                    os.kill(pid, signal.SIGKILL)
                    count += 1
                    _, _, again = self.wait_stamps(stamps, count, timeout=30)[-1]
                    young.append((again - t0) / 1e6)
            finally:
                d.shutdown()
        floor = self.restart_floor()
        self.log(f"restart: {statistics.median(value):.2f} ms, young {statistics.median(young):.2f} ms "
                 f"(minimal supervisor: {statistics.median(floor):.2f} ms)")
        note = ("kill -> new instance's start; baseline: the harness as a minimal supervisor, "
                "kill -9, reap, posix_spawn of the same job: the floor on this machine")
        return [Row("restart after kill -9 of a job up > 1.2 s", "ms", "abs", 3, floor, value, note),
                Row("restart after kill -9 of a job 50 ms after its start", "ms", "abs", 100, floor, young,
                    "the first early death after a run that was up; target: running again within "
                    "systemd's default RestartSec (100 ms); " + note)]

    def restart_floor(self):
        """The same restart done by the least possible supervisor: the harness itself kills the
        job, reaps it and posix_spawns it again at once. Not what the target is measured
        against (it is absolute), but what no supervisor can beat on this machine now."""
        samples = []
        with self.procs.sandbox("floor") as sb:
            stamps = os.path.join(sb, "stamps")
            pid = spawn([self.benchjob, stamps, "r"])
            for run in range(self.p["restart_runs"]):
                self.wait_stamps(stamps, run + 1)
                time.sleep(0.2)
                t0 = now_ns()
                self.kill_pids([pid])  # SIGKILL, then reap
                pid = spawn([self.benchjob, stamps, "r"])
                _, _, again = self.wait_stamps(stamps, run + 2, timeout=30)[-1]
                samples.append((again - t0) / 1e6)
            self.kill_pids([pid])
        return samples

    def log_rate(self, sup, size, count, runs, label, unit, scale, target):
        """Gate opened -> all bytes in the file; rate = scale / seconds (MB/s or k lines/s)."""
        total = size * count
        base, value = [], []

        def direct():
            with self.procs.sandbox("direct") as sb:
                gate = make_gate(sb)
                path = os.path.join(sb, "direct.out")
                out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                pid = spawn([self.gatewriter, gate, str(size), str(count)], stdout=out)
                os.close(out)
                base.append(scale / self.gate_and_wait(gate, path, total))
                self.procs.wait(pid, 60)

        def captured():
            with self.procs.sandbox(sup.name) as sb:
                gate = make_gate(sb)
                d = sup(self, sb, [Job("w", [self.gatewriter, gate, str(size), str(count)],
                                       restart="never", capture=True)])
                d.start()
                try:
                    value.append(scale / self.gate_and_wait(gate, d.log_path("w"), total))
                finally:
                    d.shutdown()

        ceiling = []

        def piped():  # the writer's stdout a pipe (1 MiB, as supd sets it), read by pipecat
            with self.procs.sandbox("pipe") as sb:
                gate = make_gate(sb)
                path = os.path.join(sb, "piped.out")
                r, w = os.pipe2(os.O_CLOEXEC)
                fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 1 << 20)
                reader = spawn([self.pipecat, path], stdin=r)
                writer = spawn([self.gatewriter, gate, str(size), str(count)], stdout=w)
                os.close(r)
                os.close(w)
                ceiling.append(scale / self.gate_and_wait(gate, path, total))
                self.procs.wait(writer, 60)
                self.procs.wait(reader, 60)

        for run in range(runs):
            # Alternate who goes first: the first writer of a run meets a colder page cache.
            for step in ((direct, captured, piped) if run % 2 == 0 else (captured, piped, direct)):
                step()
            self.log(f"{label}: direct {base[-1]:.0f} {unit}, {sup.name} {value[-1]:.0f} {unit}, "
                     f"pipe to pipecat {ceiling[-1]:.0f} {unit}")
        top = statistics.median(ceiling)
        return [Row(label, unit, "rate", target, base, value,
                    f"vs the writer writing the file; through a pipe into the least reader (pipecat): "
                    f"{fmt_num(top)} {unit}, {top / statistics.median(base):.2f}x, the ceiling of any "
                    f"pipe capture here")]

    def gate_and_wait(self, gate, path, total):
        if not wait_until(lambda: os.path.exists(gate + ".ready"), 60, 0.002):
            raise RuntimeError("the writer never reached its gate")
        t0 = now_ns()
        os.close(os.open(gate, os.O_WRONLY))  # opens the gate: the writer's open() returns
        if not wait_until(lambda: file_size(path) >= total, 600, 0.002):
            raise RuntimeError(f"{path}: {file_size(path)} of {total} bytes")
        seconds = (now_ns() - t0) / 1e9
        if file_size(path) != total:
            raise RuntimeError(f"{path}: {file_size(path)} bytes, expected {total}")
        return seconds

    def logs(self, sup):
        rows = []
        b = self.p["block_bytes"]
        rows += self.log_rate(sup, 65536, b // 65536, self.p["block_runs"],
                              f"log: {b // MIB} MiB in 64 KiB writes", "MB/s", b / 1e6, 0.95)
        n = self.p["lines"]
        rows += self.log_rate(sup, 100, n, self.p["lines_runs"], f"log: {n:,} flushed 100-byte lines",
                              "k lines/s", n / 1e3, 1.8)
        return rows

    def order(self, sup):
        """supd only (no peer has dependencies): a 100-job chain (each depends on the one before)
        and a 100-wide fan-out (all depend on one), from supd's start to the last job running,
        against the same jobs without dependencies, in the same run."""
        if sup.name != "supd":
            return []
        n, rows = self.p["order_jobs"], []
        shapes = (("chain", lambda i: [f"j{i - 1}"] if i else []), ("fan-out", lambda i: ["j0"] if i else []))
        for shape, deps_of in shapes:
            base, value = [], []
            for run in range(self.p["order_runs"]):
                for with_deps, out in ((False, base), (True, value)):
                    with self.procs.sandbox(f"{sup.name}-{shape}") as sb:
                        stamps = os.path.join(sb, "stamps")
                        jobs = self.stamp_jobs(n, stamps, start_secs=0)
                        if with_deps:
                            for i, j in enumerate(jobs):
                                j.depends_on = deps_of(i)
                        d = sup(self, sb, jobs)
                        t0 = now_ns()
                        d.start()
                        try:
                            s = self.wait_stamps(stamps, n)
                            out.append((max(ns for _, _, ns in s) - t0) / 1e6)
                        finally:
                            d.shutdown()
                self.log(f"order {shape} run {run + 1}: none {base[-1]:.0f} ms, with {value[-1]:.0f} ms")
            rows.append(Row(f"start of a {n}-job dependency {shape}", "ms", "time", 1.2, base, value,
                            "vs the same jobs without dependencies"))
        return rows

    def run(self, sup):
        rows = []
        only = set(self.args.only.split(",")) if self.args.only else None
        for name, fn in (("spawn", self.spawn_and_rss), ("jobs", self.with_jobs), ("restart", self.restart),
                         ("logs", self.logs), ("ignore", self.stop_ignoring), ("order", self.order),
                         ("hosts", lambda s: hosts.rows(self, s, Row)), ("top", lambda s: top_bench.rows(self, s, Row)),
                         ("scale", lambda s: scale.rows(self, s, Row))):
            if only and name not in only:
                continue
            try:
                rows += fn(sup)
            except Exception as e:  # one broken metric must not cost the whole table
                self.warnings.append(f"{sup.name}: {name} failed: {e}")
                self.log(f"{name} FAILED: {e}")
            leftovers = self.procs.sweep()
            if leftovers:
                self.warnings.append(f"{sup.name}: {name}: {leftovers} process(es) left behind, killed")
        return rows


# ---- small /proc and fd helpers ------------------------------------------------------
def proc_state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def rss_split(pid):
    """Where the resident memory is, as /proc says: anonymous (heap, stacks) and file-backed
    (the binary and its shared libraries)."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("RssAnon", "RssFile", "RssShmem"):
                fields[key] = int(rest.split()[0]) / 1024
    return ", ".join(f"{k} {v:.1f} MiB" for k, v in fields.items() if v)


def ctx_switches(pid):
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            for line in f:
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    total += int(line.split()[1])
    return total


def strace_count(procs, pid, secs):
    """Syscalls of every thread of PID over SECS (strace -c -f -p), and the top three."""
    strace = "/usr/bin/strace"
    if not os.path.exists(strace):
        return None, ""
    out = os.path.join(procs.root, f"strace-{pid}.txt")
    tracer = spawn([strace, "-c", "-f", "-q", "-o", out, "-p", str(pid)])
    time.sleep(secs)
    os.kill(tracer, signal.SIGINT)
    procs.wait(tracer, 30)
    per = []  # rows: % time, seconds, usecs/call, calls, [errors,] syscall
    with open(out) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 5 and parts[0][0].isdigit() and parts[-1] != "total":
                per.append((int(parts[3]), parts[-1]))
    calls = sum(c for c, _ in per)
    top = ", ".join(f"{name}:{c}" for c, name in sorted(per, reverse=True)[:3])
    return calls, top


def wait_pidfds(fds, timeout):
    """Until every process behind FDS has exited (a pidfd polls readable then)."""
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    left = set(fds)
    deadline = time.monotonic() + timeout
    try:
        while left:
            ms = max(0, int((deadline - time.monotonic()) * 1000))
            for fd, _ in poller.poll(ms):
                poller.unregister(fd)
                left.discard(fd)
            if time.monotonic() > deadline and left:
                raise RuntimeError(f"{len(left)} processes still alive after {timeout} s")
    finally:
        for fd in fds:
            os.close(fd)


def make_gate(sandbox):
    gate = os.path.join(sandbox, "gate")
    os.mkfifo(gate, 0o600)
    return gate


def file_size(path):
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


def machine():
    def first(path, key):
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
        return "?"
    mem_kib = int(first("/proc/meminfo", "MemTotal").split()[0])
    with open("/proc/sys/kernel/osrelease") as f:
        kernel = f.read().strip()
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    return {"cpu": first("/proc/cpuinfo", "model name"), "cores": os.cpu_count(),
            "mem_gib": mem_kib / (1 << 20), "kernel": kernel, "load": load}


def report(args, profile_name, tables, warnings, m, started):
    with open("/proc/loadavg") as f:
        load_end = " ".join(f.read().split()[:3])
    lines = [f"# supd benchmark, {started:%Y-%m-%d %H:%M} UTC ({profile_name})", "",
             f"- machine: {m['cores']} cores ({m['cpu']}), {m['mem_gib']:.1f} GiB memory, "
             f"Linux {m['kernel']}",
             f"- load average at start / end: {m['load']} / {load_end}",
             "- each cell: median (min–max) over the runs; ratio = median / baseline median", ""]
    for who, text in tables:
        if len(tables) > 1:
            lines += [f"## {who}", ""]
        lines += [text, ""]
    if warnings:
        lines += ["## Warnings", ""] + [f"- {w}" for w in warnings] + [""]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build-dir", required=True, help="the build tree with supd, supctl, bench/helpers")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="fewer jobs, runs and bytes (< 2 minutes)")
    mode.add_argument("--smoke", action="store_true", help="a tiny run proving the harness works")
    ap.add_argument("--peers", default="", help="comma-separated peers to add: " + ",".join(
        n for n in ADAPTERS if n != "supd"))
    ap.add_argument("--only", default="", help="comma-separated subset: spawn,jobs,restart,logs,ignore,order,hosts,top,scale")
    ap.add_argument("--scale", type=int, default=0, metavar="N",
                    help="also the scale rows with N jobs (make bench SCALE=1: 10000)")
    ap.add_argument("--results-dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                          "results"))
    args = ap.parse_args()
    args.build_dir = os.path.abspath(args.build_dir)
    profile_name = "smoke" if args.smoke else "quick" if args.quick else "full"

    # The nohup baseline's jobs are orphans: as subreaper the harness reaps and cleans them up.
    PR_SET_CHILD_SUBREAPER = 36
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)

    # SIGTERM (a timeout, a CI cancel) unwinds like Ctrl-C does: every daemon is shut down.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    started = datetime.datetime.now(datetime.timezone.utc)
    m = machine()
    bench = Bench(args, PROFILES[profile_name])
    tables = []
    try:
        for name in ["supd"] + [p for p in args.peers.split(",") if p]:
            adapter = ADAPTERS.get(name)
            if adapter is None:
                bench.warnings.append(f"peer '{name}': no adapter (known: {', '.join(ADAPTERS)})")
                continue
            missing = adapter.missing()
            if missing:
                bench.warnings.append(f"peer '{name}' skipped: {missing}")
                continue
            bench.log(f"measuring {name} ({profile_name})")
            tables.append((name, table(bench.run(adapter), name)))
    finally:
        leftovers = bench.procs.close()
        if leftovers:
            bench.warnings.append(f"{leftovers} process(es) left behind at the end, killed")
    text = report(args, profile_name, tables, bench.warnings, m, started)
    print(text)
    os.makedirs(args.results_dir, exist_ok=True)
    subset = "".join(f"-{o}" for o in args.only.split(",") if o) if args.only else ""
    name = f"{started:%Y-%m-%d}-{m['cores']}cpu-{round(m['mem_gib'])}gib-{profile_name}{subset}.md"
    with open(os.path.join(args.results_dir, name), "w") as f:
        f.write(text)
    print(f"written: {os.path.relpath(os.path.join(args.results_dir, name))}", file=sys.stderr)
    return 0 if tables else 1


if __name__ == "__main__":
    sys.exit(main())
