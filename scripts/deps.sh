#!/usr/bin/env bash
# Installs the Debian packages supd needs to build and test, and only the missing ones.
# Used by `make run`, `make test` and .ci/run; sudo is used when not root.
#   scripts/deps.sh          what the build and the tests need (g++)
#   scripts/deps.sh --fuzz   the same plus clang and libFuzzer, for `make fuzz` only
#   scripts/deps.sh PKG...   the same plus the packages named (bench/deps.sh: strace, peers)
set -euo pipefail
packages=(g++ cmake ninja-build pkg-config libspdlog-dev libfmt-dev libtomlplusplus-dev libasio-dev
          catch2 libcli11-dev nlohmann-json3-dev libsystemd-dev libcurl4-openssl-dev python3 procps
          util-linux groff-base zsh openssh-client openssh-server libncurses-dev tmux)
# libncurses-dev: supctl top's screen; tmux: its tests run it in a real terminal.
# groff, zsh: tests/scripts/man_test.sh, completion_zsh_test.sh; openssh-*: the --host tests
# start their own sshd on a loopback port (Debian's package does not start one in a container
# without an init; where it does, it is the distribution's usual sshd).
# clang 14 on Debian 12; libFuzzer's runtime (libclang_rt.fuzzer) is in libclang-rt-14-dev.
for arg in "$@"; do
  case $arg in
    --fuzz) packages+=(clang libclang-rt-14-dev) ;;
    -*) echo "scripts/deps.sh: unknown option $arg; use --fuzz or package names" >&2; exit 2 ;;
    *) packages+=("$arg") ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "supd: installing missing packages: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2 || true
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
# The --host tests run their own sshd on a loopback port; the system's ssh service that the
# package starts where systemd runs is not ours to leave listening on port 22.
if [[ " ${missing[*]} " == *" openssh-server "* ]] && [ -d /run/systemd/system ]; then
  $sudo systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
  echo "supd: openssh-server was installed for the --host tests; its ssh service is left disabled" \
       "(systemctl enable --now ssh starts it)" >&2
fi
