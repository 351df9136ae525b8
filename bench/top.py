"""`supctl top` (issue 21): what watching costs supd, and how soon a crash is on the screen.

- supd's CPU while `top` watches 100 jobs for `top_secs` (target: under 1% of one core),
  beside the same supd's CPU over the same time with nobody watching.
- From a job's kill -9 to its new state on top's screen (target: 300 ms), beside the time the
  same crash takes to reach an `events -f` follower, measured on the same kills.

top runs on a pseudo-terminal of 50x200 whose output is read as a terminal would; the screen
is the bytes ncurses writes, searched for the new state."""

import fcntl
import os
import random
import select
import signal
import struct
import termios
import time

from adapters import Job
from procs import spawn, wait_until


def _cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _cpu_percent(pid, seconds, drain):
    """supd's CPU over `seconds`, as % of one core, calling drain() meanwhile."""
    hz = os.sysconf("SC_CLK_TCK")
    t0, c0 = time.monotonic(), _cpu_ticks(pid)
    end = t0 + seconds
    while time.monotonic() < end:
        drain(min(0.1, max(0.0, end - time.monotonic())))
    return 100.0 * (_cpu_ticks(pid) - c0) / hz / (time.monotonic() - t0)


class Screen:
    """`supctl top` on a pseudo-terminal; what it writes is kept since the last clear()."""

    def __init__(self, argv, env):
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        self.pid = spawn(argv, env=dict(env, TERM="xterm"), stdin=slave, stdout=slave, stderr=slave)
        os.close(slave)
        self.seen = b""

    def drain(self, timeout):
        r, _, _ = select.select([self.master], [], [], timeout)
        if r:
            try:
                self.seen += os.read(self.master, 65536)
            except OSError:
                pass

    def clear(self):
        self.seen = b""

    def close(self, procs):
        os.write(self.master, b"q")
        if procs.wait(self.pid, 10, quiet=True) is None:
            os.kill(self.pid, signal.SIGKILL)
            procs.wait(self.pid, 10, quiet=True)
        os.close(self.master)


def _keep_reading(screen, seconds):
    """Reads what top writes for `seconds`: a terminal that stops reading would block it."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        screen.drain(max(0.0, end - time.monotonic()))


def rows(bench, sup, Row):
    """The two rows; [] for a peer (none has a live view)."""
    if sup.name != "supd":
        return []
    p = bench.p
    n, secs, kills = p.get("top_jobs", 100), p.get("top_secs", 10.0), p.get("top_kills", 10)
    out = []
    with bench.procs.sandbox("supd-top") as sb:
        jobs = bench.stamp_jobs(n, os.path.join(sb, "stamps"))
        # First, so its row is on the 50-row screen whatever the number of jobs.
        jobs.insert(0, Job("victim", ["/bin/sleep", "100000"], restart="never"))
        d = sup(bench, sb, jobs)
        d.start()
        screen = follower = None
        try:
            d.wait_settled(n + 1)
            idle = _cpu_percent(d.pid, secs, time.sleep)
            screen = Screen(d.ctl("top"), d.env)
            if not wait_until(lambda: screen.drain(0.05) or b"RESTARTS" in screen.seen, 30):
                raise RuntimeError("top drew no screen in 30 s")
            watched = _cpu_percent(d.pid, secs, screen.drain)
            bench.log(f"top: supd CPU {watched:.2f}% of a core while watched, {idle:.2f}% idle")
            out.append(Row(f"supd CPU while `top` watches {n} jobs for {secs:g} s", "% of a core", "abs", 1.0,
                           [idle], [watched], "beside: the same supd unwatched"))

            ev_r, ev_w = os.pipe()
            follower = spawn(d.ctl("events", "-f", "victim"), env=d.env, stdout=ev_w)
            os.close(ev_w)
            _keep_reading(screen, 0.5)  # the follower connected
            to_screen, to_events = [], []
            for _ in range(kills):
                _keep_reading(screen, random.uniform(0.2, 1.2))  # any phase of top's one-second refresh
                victim = d.job_pid("victim")
                screen.clear()
                events = b""
                t0 = time.monotonic()
                os.kill(victim, signal.SIGKILL)
                t_screen = t_events = None
                deadline = t0 + 10
                while (t_screen is None or t_events is None) and time.monotonic() < deadline:
                    r, _, _ = select.select([screen.master, ev_r], [], [], 0.05)
                    if screen.master in r:
                        screen.drain(0)
                        if t_screen is None and b"EXITED" in screen.seen:
                            t_screen = time.monotonic()
                    if ev_r in r:
                        events += os.read(ev_r, 65536)
                        if t_events is None and b"exited" in events:
                            t_events = time.monotonic()
                if t_screen is None or t_events is None:
                    raise RuntimeError("the crash did not reach top's screen or the follower in 10 s")
                to_screen.append((t_screen - t0) * 1000)
                to_events.append((t_events - t0) * 1000)
                d.run_ctl("start", "victim")
                _keep_reading(screen, 1.2)  # the screen shows it running again
            os.close(ev_r)
            bench.log(f"top: crash on screen after {sorted(to_screen)[len(to_screen) // 2]:.0f} ms, "
                      f"events -f after {sorted(to_events)[len(to_events) // 2]:.1f} ms")
            out.append(Row("kill -9 of a job to its new state on `top`'s screen", "ms", "abs", 300.0, to_events,
                           to_screen, "beside: the same crash reaching `events -f`"))
        finally:
            if screen:
                screen.close(bench.procs)
            if follower:
                os.kill(follower, signal.SIGTERM)
                bench.procs.wait(follower, 10, quiet=True)
            d.shutdown()
    return out
