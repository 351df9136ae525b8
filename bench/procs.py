"""Process plumbing for the benchmark: spawning, waiting with deadlines, and sandboxes that
leave no process behind (the harness is a child subreaper, so orphans come back to it)."""
import contextlib
import os
import select
import shutil
import signal
import tempfile
import time


def now_ns():
    """CLOCK_REALTIME, the clock the C helpers stamp with."""
    return time.clock_gettime_ns(time.CLOCK_REALTIME)


def wait_until(pred, timeout, interval=0.005):
    """pred()'s first truthy value before the deadline, else None."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)


def spawn(argv, env=None, stdout=None, stderr=None, stdin=None):
    """posix_spawn (vfork-like, the same cost for every program timed); stdin and stdout,
    unless given, from/to /dev/null; stderr inherited unless given."""
    if stdin is None:
        actions = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0)]
    else:
        actions = [(os.POSIX_SPAWN_DUP2, stdin, 0)]
    if stdout is None:
        actions.append((os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0))
    else:
        actions.append((os.POSIX_SPAWN_DUP2, stdout, 1))
    if stderr is not None:
        actions.append((os.POSIX_SPAWN_DUP2, stderr, 2))
    return os.posix_spawn(argv[0], argv, os.environ if env is None else env, file_actions=actions)


class Procs:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="supd-bench-")
        self.count = 0

    @contextlib.contextmanager
    def sandbox(self, tag):
        """A fresh 0700 directory; on the way out every process naming it is killed, then it goes."""
        self.count += 1
        path = os.path.join(self.root, f"{self.count:03d}-{tag}")
        os.mkdir(path, 0o700)
        try:
            yield path
        finally:
            self.sweep(path)
            shutil.rmtree(path, ignore_errors=True)

    def wait(self, pid, timeout, quiet=False):
        """Exit status of our child PID; past the deadline it is killed (and, unless quiet, an error)."""
        fd = os.pidfd_open(pid)
        try:
            ready = select.select([fd], [], [], timeout)[0]
        finally:
            os.close(fd)
        if not ready:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:  # not ours (already reaped, or orphaned elsewhere)
            return None
        if not ready and not quiet:
            raise RuntimeError(f"pid {pid} did not exit within {timeout} s (killed)")
        return os.waitstatus_to_exitcode(status)

    def sweep(self, path=None):
        """Kill every process whose command line names PATH (default: any sandbox), reap our
        zombies. Returns how many processes were still alive."""
        path = path or self.root
        killed = []
        for pid in _pids():
            if pid == os.getpid():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if path.encode() in cmd and _state(pid) not in (None, "Z"):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        deadline = time.monotonic() + 10
        while any(_state(p) not in (None, "Z") for p in killed) and time.monotonic() < deadline:
            time.sleep(0.01)
        self.reap()
        return len(killed)

    def reap(self):
        me = os.getpid()
        for pid in _pids():
            if _state(pid) == "Z" and _ppid(pid) == me:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)

    def close(self):
        n = self.sweep()
        shutil.rmtree(self.root, ignore_errors=True)
        return n


def _pids():
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def _stat(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _state(pid):
    s = _stat(pid)
    return s[0] if s else None


def _ppid(pid):
    s = _stat(pid)
    return int(s[1]) if s else None
