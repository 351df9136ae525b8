"""Ten thousand jobs (issue 22): `make bench SCALE=1` (or SCALE=N for N jobs), supd only.

- spawn N jobs cold, against a nohup loop of the same N (target 0.25x), with the floor beside
  it: a C loop of posix_spawn (bench/helpers/spawnloop.c) that starts the same jobs with and
  without a log file each, the least any supervisor that captures output can do here;
- supd's peak RSS with N jobs (target 32 MiB);
- `status --json` of all N and `stats` of all N, against `status` of one job in the same supd
  (reported: "stays interactive" has no number in the issue);
- restart after kill -9 and signal latency with N jobs, against the same in a supd with one
  job (target 1.2x: the cost of one event must not grow with the number of jobs)."""

import os
import resource
import signal
import statistics
import time

from procs import spawn
from stamps import StampTail


def _restarts(bench, d, stamps, runs):
    """kill -9 of j0 (up > 1.2 s) -> the new j0's start stamp, in ms."""
    out = []
    for _ in range(runs):
        pid = d.job_pid("j0")
        started = max(ns for tag, p, ns in bench.read_stamps(stamps, "start") if p == pid)
        time.sleep(max(0.0, 1.25 - (time.time_ns() - started) / 1e9))
        tail = StampTail(stamps)
        t0 = time.time_ns()
        os.kill(pid, signal.SIGKILL)
        _, _, again = bench.wait_new_stamp(tail, "start", 60)
        out.append((again - t0) / 1e6)
    return out


def _signals(bench, d, stamps, runs):
    """`supctl signal j0 USR1` spawned -> j0's handler stamp, in ms."""
    out = []
    for _ in range(runs):
        tail = StampTail(stamps)
        t0 = time.time_ns()
        child = spawn(d.ctl_signal("j0", "USR1"), env=d.env)
        _, _, handled = bench.wait_new_stamp(tail, "usr1", 30)
        out.append((handled - t0) / 1e6)
        if bench.procs.wait(child, 30) != 0:
            raise RuntimeError("supctl signal exited non-zero")
    return out


def _spawn_floor(bench, sb, n, with_logs):
    """ms for bench/helpers/spawnloop to start N stamp jobs, each with a log file or none. The
    files stay in SB until the caller is done: on ext4 without a journal a file creation skips
    the inodes deleted in the last minutes, one by one, so deleting them now would slow supd's."""
    tag = "logs" if with_logs else "bare"
    stamps = os.path.join(sb, f"stamps-{tag}")
    logs = os.path.join(sb, tag)
    os.mkdir(logs)
    job = bench.stamp_jobs(1, stamps)[0].argv[:-1]  # the tag j<i> is the loop's to add
    t0 = time.time_ns()
    loop = spawn([os.path.join(bench.helpers, "spawnloop"), str(n), logs if with_logs else "-", *job])
    if bench.procs.wait(loop, 600) != 0:
        raise RuntimeError("spawnloop exited non-zero")
    s = bench.wait_stamps(stamps, n, timeout=600)
    ms = (max(ns for _, _, ns in s) - t0) / 1e6
    bench.kill_pids([pid for _, pid, _ in s])
    return ms


def _one_job(bench, sup, runs, signal_runs):
    with bench.procs.sandbox("supd-one") as sb:
        stamps = os.path.join(sb, "stamps")
        d = sup(bench, sb, bench.stamp_jobs(1, stamps, flags=("-u",), restart="always"))
        d.start()
        try:
            bench.wait_stamps(stamps, 1)
            d.wait_settled(1)
            return _restarts(bench, d, stamps, runs), _signals(bench, d, stamps, signal_runs)
        finally:
            d.shutdown()


FDS_PER_JOB = 4  # output pipe, log file, its timestamp index, pidfd


def _jobs_that_fit(bench, n):
    """supd takes the hard fd limit it is given; a machine running 10,000 jobs raises it (root:
    up to fs.nr_open). Where it cannot be raised (no CAP_SYS_RESOURCE), as many jobs as fit,
    and the table says why: the floor is the limit, not supd."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = FDS_PER_JOB * n + 1024
    if hard >= want:
        return n
    try:
        with open("/proc/sys/fs/nr_open") as f:
            ceiling = int(f.read())
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, min(want, ceiling)))
        return n
    except (OSError, ValueError) as e:
        fit = (hard - 1024) // FDS_PER_JOB
        bench.warnings.append(f"scale: {n} jobs need about {want} fds ({FDS_PER_JOB} per job); the hard limit is "
                              f"{hard} and cannot be raised here ({e}): measured with {fit} jobs")
        return fit


def rows(bench, sup, Row):
    if sup.name != "supd" or not bench.args.scale:
        return []
    with bench.procs.sandbox("floor") as floor_sb:
        return _rows(bench, sup, Row, floor_sb)


def _rows(bench, sup, Row, floor_sb):
    n = _jobs_that_fit(bench, bench.args.scale)
    runs = bench.p["restart_runs"]
    ctl_runs = bench.p["ctl_runs"]
    out = []

    with bench.procs.sandbox("nohup") as sb:
        stamps = os.path.join(sb, "stamps")
        t0 = bench.nohup_start(sb, bench.stamp_jobs(n, stamps))
        s = bench.wait_stamps(stamps, n, timeout=600)
        base = (max(ns for _, _, ns in s) - t0) / 1e6
        bench.kill_pids([pid for _, pid, _ in s])

    floor_logs = _spawn_floor(bench, floor_sb, n, with_logs=True)
    floor_bare = _spawn_floor(bench, floor_sb, n, with_logs=False)
    bench.log(f"scale {n}: spawn floor {floor_logs:.0f} ms with a log file each, {floor_bare:.0f} ms without")

    one_restart, one_signal = _one_job(bench, sup, runs, ctl_runs)  # as many runs as with n jobs

    with bench.procs.sandbox("supd-scale") as sb:
        stamps = os.path.join(sb, "stamps")
        d = sup(bench, sb, bench.stamp_jobs(n, stamps, flags=("-u",), restart="always"))
        t0 = time.time_ns()
        d.start()
        try:
            s = bench.wait_stamps(stamps, n, timeout=600)
            spawn_ms = (max(ns for _, _, ns in s) - t0) / 1e6
            d.wait_settled(n, timeout=600)
            rss = d.peak_rss_kib() / 1024
            bench.log(f"scale {n}: nohup {base:.0f} ms, supd {spawn_ms:.0f} ms, peak RSS {rss:.1f} MiB")
            out.append(Row(f"spawn {n} jobs, cold start to the last job running", "ms", "time", 0.25, [base],
                           [spawn_ms], "vs a nohup loop of the same jobs"))
            out.append(Row(f"the floor: a C posix_spawn loop starting the {n} jobs, a log file each", "ms", "time",
                           0.25, [base], [floor_logs], "vs the nohup loop; what no supervisor that captures "
                           "output can beat here"))
            out.append(Row("the bare exec floor: the same loop without log files", "ms", "time", 0.25, [base],
                           [floor_bare], "vs the nohup loop"))
            out.append(Row(f"supd's spawn of {n} jobs against the floor with log files", "ms", "time", 100,
                           [floor_logs], [spawn_ms], "supd's own cost on top; reported, the issue sets no number"))
            out.append(Row(f"daemon peak RSS (VmHWM) with {n} jobs", "MiB", "abs", 32, None, [rss]))

            one, every, stats = [], [], []
            for _ in range(ctl_runs):  # interleaved, so noise hits all three alike
                one.append(bench.time_cmd(d.ctl_status(["j0"]), env=d.env, ok=d.status_ok))
                every.append(bench.time_cmd(d.ctl("--json", "status"), env=d.env))
                stats.append(bench.time_cmd(d.ctl("--json", "stats"), env=d.env))
            bench.log(f"scale {n}: status one {statistics.median(one):.2f} ms, all {statistics.median(every):.1f} ms, "
                      f"stats {statistics.median(stats):.1f} ms")
            out.append(Row(f"`status --json` of all {n} jobs", "ms", "time", 100, one, every,
                           "vs `status` of one job in the same supd; reported, the issue sets no number"))
            out.append(Row(f"`stats --json` of all {n} jobs", "ms", "time", 100, one, stats,
                           "vs `status` of one job in the same supd; reported, the issue sets no number"))

            restart = _restarts(bench, d, stamps, runs)
            sig = _signals(bench, d, stamps, ctl_runs)
            bench.log(f"scale {n}: restart {statistics.median(restart):.2f} ms (one job "
                      f"{statistics.median(one_restart):.2f}), signal {statistics.median(sig):.2f} ms "
                      f"(one job {statistics.median(one_signal):.2f})")
            out.append(Row(f"restart after kill -9 with {n} jobs", "ms", "time", 1.2, one_restart, restart,
                           "vs the same in a supd with one job"))
            out.append(Row(f"signal USR1 to handler with {n} jobs", "ms", "time", 1.2, one_signal, sig,
                           "vs the same in a supd with one job"))
        finally:
            d.shutdown()
    return out
