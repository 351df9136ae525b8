"""`supctl --host` against plain ssh (issue 20): `status` across 1, 3 and 10 loopback "hosts"
(Host aliases of one sshd on 127.0.0.1, each reaching the same supd), against the same number
of `ssh HOST supctl status` run in parallel. Both go through the same ssh_config, with
connection sharing on (ControlMaster auto, ControlPersist), as a user who set it up would have
it; each alias is connected once before timing, so every run reuses its master. Root only
(sshd must log the user in); else the rows are skipped with a warning."""

import os
import shutil
import socket
import statistics
import subprocess
import time

from procs import spawn, wait_until

SSHD = "/usr/sbin/sshd"


def missing():
    if os.geteuid() != 0:
        return "needs root (sshd logs the user in)"
    if not os.access(SSHD, os.X_OK) or not shutil.which("ssh"):
        return "needs openssh-server and openssh-client"
    return None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _keygen(path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path], check=True)


class LoopbackHosts:
    """An sshd on a loopback port and an ssh_config naming `count` aliases of it."""

    def __init__(self, bench, sandbox, socket_path, count):
        self.bench, self.dir = bench, os.path.join(sandbox, "ssh")
        os.mkdir(self.dir, 0o700)
        for key in ("host_key", "client_key"):
            _keygen(os.path.join(self.dir, key))
        shutil.copy(os.path.join(self.dir, "client_key.pub"), os.path.join(self.dir, "authorized_keys"))
        os.makedirs("/run/sshd", exist_ok=True)
        self.port = _free_port()
        with open(os.path.join(self.dir, "sshd_config"), "w") as f:
            f.write(f"ListenAddress 127.0.0.1\nPort {self.port}\nHostKey {self.dir}/host_key\n"
                    f"AuthorizedKeysFile {self.dir}/authorized_keys\nPidFile none\nPasswordAuthentication no\n"
                    "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nUsePAM no\n"
                    "StrictModes no\nAcceptEnv SUPD_SOCKET\nMaxSessions 100\nMaxStartups 100\n")
        self.hosts = [f"h{i}" for i in range(count)]
        self.config = os.path.join(self.dir, "ssh_config")
        with open(self.config, "w") as f:
            for h in self.hosts:
                f.write(f"Host {h}\n  HostName 127.0.0.1\n  Port {self.port}\n  User root\n"
                        f"  IdentityFile {self.dir}/client_key\n  IdentitiesOnly yes\n"
                        f"  UserKnownHostsFile {self.dir}/known_hosts\n  StrictHostKeyChecking accept-new\n"
                        f"  LogLevel ERROR\n  SetEnv SUPD_SOCKET={socket_path}\n"
                        f"  ControlMaster auto\n  ControlPath {self.dir}/cm-%n\n  ControlPersist 120\n")
        self.sshd = spawn([SSHD, "-D", "-f", os.path.join(self.dir, "sshd_config")])
        if not wait_until(self._accepts, 15):
            raise RuntimeError("sshd did not listen within 15 s")

    def _accepts(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def ssh(self, host, *remote):
        return [shutil.which("ssh"), "-F", self.config, host, *remote]  # spawn() does not search PATH

    def close(self):
        for h in self.hosts:  # the masters
            subprocess.run(["ssh", "-F", self.config, "-O", "exit", h], capture_output=True)
        os.kill(self.sshd, 15)
        self.bench.procs.wait(self.sshd, 10, quiet=True)


def rows(bench, sup, Row):
    """The `status` rows; [] for a peer (none has a --host)."""
    if sup.name != "supd":
        return []
    why = missing()
    if why:
        bench.warnings.append(f"--host rows skipped: {why}")
        return []
    out = []
    counts = bench.p.get("host_counts", (1, 3, 10))
    runs = bench.p.get("host_runs", 10)
    with bench.procs.sandbox("supd-hosts") as sb:
        d = sup(bench, sb, bench.stamp_jobs(1, os.path.join(sb, "stamps")))
        d.start()
        hosts = None
        try:
            if not wait_until(lambda: d.run_ctl("status").returncode == 0, 30):
                raise RuntimeError("supd did not answer")
            hosts = LoopbackHosts(bench, sb, d.sock, max(counts))
            remote = os.path.join(bench.args.build_dir, "supctl")
            env = dict(d.env, SUPCTL_SSH=f"ssh -F {hosts.config}", SUPCTL_REMOTE=remote)
            for h in hosts.hosts:  # open every master before timing
                subprocess.run(hosts.ssh(h, "true"), env=env, check=True, capture_output=True)
            for n in counts:
                names = hosts.hosts[:n]
                base, value = [], []
                for _ in range(runs):  # interleaved, so noise hits both alike
                    base.append(_parallel(bench, [hosts.ssh(h, remote, "status") for h in names], env))
                    value.append(bench.time_cmd([d.supctl, "--host", ",".join(names), "status"], env=env))
                bench.log(f"hosts {n}: ssh {statistics.median(base):.1f} ms, supctl {statistics.median(value):.1f} ms")
                out.append(Row(f"`status` across {n} loopback host(s) over ssh", "ms", "time", 1.1, base, value,
                               f"vs {n} parallel `ssh HOST supctl status`"))
        finally:
            if hosts:
                hosts.close()
            d.shutdown()
    return out


def _parallel(bench, argvs, env):
    t0 = time.perf_counter_ns()
    pids = [spawn(a, env=env) for a in argvs]
    for pid in pids:
        if bench.procs.wait(pid, 60) != 0:
            raise RuntimeError("ssh HOST supctl status failed")
    return (time.perf_counter_ns() - t0) / 1e6
