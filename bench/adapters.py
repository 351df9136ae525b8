"""Supervisors under test, each behind the same small interface (Supd is the reference one).

An adapter class is built per daemon instance: Adapter(bench, sandbox, jobs), then
  start()                 launch the daemon with `jobs` configured (cold start; returns at once)
  wait_settled(n)         until its n jobs are all up and past their start period
  daemon_pid(), peak_rss_kib(), job_pid(name), log_path(job)
  ctl_status(names), ctl_signal(name, sig), ctl_stop_all()   argv of one client call, timed
  start_all()             start every job again and wait for the client
  shutdown()              stop every job and the daemon; nothing may be left running
  env                     the environment for its client calls
and the class method missing() says why the peer cannot run here (None when it can).
runit and s6 share a service-dir layout: their adapters are in scandir_peers.py.
"""
import json
import math
import os
import shutil
import signal
import subprocess
import time

from procs import spawn, wait_until
from scandir_peers import Runit, S6


class Job:
    def __init__(self, name, argv, restart="on-failure", stop_timeout=None, capture=False, start_secs=None):
        self.name, self.argv, self.restart = name, argv, restart
        self.stop_timeout, self.capture = stop_timeout, capture
        self.start_secs = start_secs  # None: the supervisor's default (0 under restart = never)
        self.depends_on = []          # supd only: job names this one waits for (running)


def _q(s):
    return json.dumps(str(s))  # a TOML basic string for plain paths and words


class Supd:
    name = "supd"
    status_ok = (0,)  # exit statuses of ctl_status() that mean it worked

    @classmethod
    def missing(cls):
        return None

    def __init__(self, bench, sandbox, jobs):
        self.bench, self.dir, self.jobs = bench, sandbox, jobs
        build = bench.args.build_dir
        self.supd, self.supctl = os.path.join(build, "supd"), os.path.join(build, "supctl")
        for sub in ("run", "logs", "state", "config", "home"):
            os.mkdir(os.path.join(sandbox, sub), 0o700)
        self.sock = os.path.join(sandbox, "run", "supd.sock")
        self.logs = os.path.join(sandbox, "logs")
        self.config = os.path.join(sandbox, "supd.toml")
        self.env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C",
                    "HOME": os.path.join(sandbox, "home"),
                    "XDG_RUNTIME_DIR": os.path.join(sandbox, "run"),
                    "XDG_STATE_HOME": os.path.join(sandbox, "state"),
                    "XDG_CONFIG_HOME": os.path.join(sandbox, "config")}
        self.pid = None
        with open(self.config, "w") as f:
            for j in jobs:
                f.write(f"[jobs.{j.name}]\ncommand = [{', '.join(_q(a) for a in j.argv)}]\n"
                        f"restart = {_q(j.restart)}\nlog_max_size = 0\n")
                if j.stop_timeout is not None:
                    f.write(f"stop_timeout = {_q(f'{j.stop_timeout:g}s')}\n")
                if j.restart == "never" or j.start_secs == 0:
                    f.write("start_secs = 0\n")
                if j.depends_on:
                    f.write(f"depends_on = [{', '.join(_q(n) for n in j.depends_on)}]\n")

    def start(self):
        out = os.open(os.path.join(self.dir, "supd.output"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            self.pid = spawn([self.supd, "--config", self.config, "--socket", self.sock,
                              "--log-dir", self.logs], env=self.env, stdout=out, stderr=out)
        finally:
            os.close(out)

    def ctl(self, *args):
        return [self.supctl, "--socket", self.sock, *args]

    def ctl_status(self, names):
        return self.ctl("status", *names)

    def ctl_signal(self, name, sig):
        return self.ctl("signal", name, sig)

    def ctl_stop_all(self):
        return self.ctl("stop", "all")

    def run_ctl(self, *args, timeout=60):
        return subprocess.run(self.ctl(*args), env=self.env, capture_output=True, text=True, timeout=timeout)

    def start_all(self):
        r = self.run_ctl("start", "all")
        if r.returncode != 0:
            raise RuntimeError(f"supctl start all: {r.stderr.strip()}")

    def statuses(self):
        r = self.run_ctl("--json", "status")
        return json.loads(r.stdout)["jobs"] if r.returncode == 0 else None

    def wait_settled(self, n, timeout=120):
        ok = wait_until(lambda: (s := self.statuses()) and sum(j["state"] == "running" for j in s) >= n,
                        timeout, 0.05)
        if not ok:
            raise RuntimeError(f"supd: not all {n} jobs running after {timeout} s")

    def daemon_pid(self):
        return self.pid

    def peak_rss_kib(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmHWM")

    def job_pid(self, name):
        r = self.run_ctl("pid", name)
        if r.returncode != 0:
            raise RuntimeError(f"supctl pid {name}: {r.stderr.strip()}")
        return int(r.stdout.strip())

    def log_path(self, job):
        return os.path.join(self.logs, f"{job}.out")

    def shutdown(self):
        if self.pid is None:
            return
        try:
            r = self.run_ctl("shutdown", timeout=120)
            if r.returncode != 0:
                self.bench.warnings.append(f"supctl shutdown: exit {r.returncode}: {r.stderr.strip()}")
                os.kill(self.pid, signal.SIGTERM)
        except subprocess.TimeoutExpired:
            self.bench.warnings.append("supctl shutdown timed out; supd killed")
            os.kill(self.pid, signal.SIGKILL)
        status = self.bench.procs.wait(self.pid, 120, quiet=True)
        if status != 0:
            self.bench.warnings.append(f"supd exited with status {status}")
        self.pid = None


class Supervisord(Supd):
    """supervisord 4 through supervisorctl, set up as the peer benchmark did: startsecs=0,
    autorestart, stopwaitsecs = stop_timeout (whole seconds: supervisord takes no fraction, so the
    smoke run's 0.3 s becomes 1 s), one stdout_logfile per job without rotation."""
    name = "supervisord"

    @classmethod
    def missing(cls):
        if not shutil.which("supervisord") or not shutil.which("supervisorctl"):
            return "supervisord is not installed (make bench PEERS=supervisord installs it)"
        return None

    def __init__(self, bench, sandbox, jobs):
        self.bench, self.dir, self.jobs = bench, sandbox, jobs
        os.mkdir(os.path.join(sandbox, "logs"), 0o700)
        self.logs = os.path.join(sandbox, "logs")
        self.config = os.path.join(sandbox, "supervisord.conf")
        self.env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C.UTF-8", "HOME": sandbox}
        self.pid = None
        sock = os.path.join(sandbox, "supervisor.sock")
        with open(self.config, "w") as f:
            f.write(f"[unix_http_server]\nfile={sock}\n[supervisord]\nnodaemon=true\nuser=root\n"
                    f"logfile={sandbox}/supervisord.log\npidfile={sandbox}/supervisord.pid\n"
                    f"childlogdir={self.logs}\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory"
                    f" = supervisor.rpcinterface:make_main_rpcinterface\n"
                    f"[supervisorctl]\nserverurl=unix://{sock}\n")
            for j in jobs:
                restart = {"always": "true", "never": "false"}.get(j.restart, "unexpected")
                f.write(f"[program:{j.name}]\ncommand={' '.join(j.argv)}\nstartsecs=0\n"
                        f"autorestart={restart}\nstopwaitsecs={math.ceil(j.stop_timeout or 10)}\n"
                        f"redirect_stderr=true\nstdout_logfile={self.log_path(j.name)}\n"
                        f"stdout_logfile_maxbytes=0\n")
        if os.geteuid() != 0:
            text = open(self.config).read().replace("user=root\n", "")
            open(self.config, "w").write(text)

    def start(self):
        out = os.open(os.path.join(self.dir, "supervisord.output"), os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                      0o644)
        try:
            self.pid = spawn(["/usr/bin/env", "supervisord", "-c", self.config], env=self.env,
                             stdout=out, stderr=out)
        finally:
            os.close(out)

    def ctl(self, *args):
        return [shutil.which("supervisorctl"), "-c", self.config, *args]

    def ctl_status(self, names):
        return self.ctl("status", *names) if names else self.ctl("status")

    def ctl_signal(self, name, sig):
        return self.ctl("signal", sig, name)

    def start_all(self):
        self.run_ctl("start", "all")  # exit status says nothing useful; the caller waits for stamps

    def wait_settled(self, n, timeout=120):
        def running():
            r = self.run_ctl("status")
            return sum(" RUNNING " in line for line in r.stdout.splitlines()) >= n
        if not wait_until(running, timeout, 0.1):
            raise RuntimeError(f"supervisord: not all {n} jobs running after {timeout} s")

    status_ok = (0, 3)  # supervisorctl status exits 3 when some job is not running

    def log_path(self, job):
        return os.path.join(self.logs, f"{job}.out")

    def shutdown(self):
        if self.pid is None:
            return
        try:
            self.run_ctl("shutdown", timeout=120)
        except subprocess.TimeoutExpired:
            os.kill(self.pid, signal.SIGKILL)
        self.bench.procs.wait(self.pid, 120, quiet=True)
        self.pid = None


ADAPTERS = {"supd": Supd, "supervisord": Supervisord, "runit": Runit, "s6": S6}
