"""amsa.py: the lecture's ticking program, for those who want the python one.

The demo config runs the C version (examples/amsa.c, built as build/amsa), which needs
nothing but libc. To run this one under supd instead, use in examples/supd.toml:

    command = ["python3", "amsa.py"]

flush=True matters: with stdout going to a file rather than a terminal, python would
otherwise hold the lines in a buffer and amsa.out would stay empty for a long time.

Like the lecture's final version, it does not ignore SIGHUP itself: surviving a closed
terminal is nohup's job, and supd's (ignore_signals = ["HUP"]). SIGTERM prints "Bye" and
exits 0, as the C version does, so that a stop looks the same with either.
"""

import signal
import sys
import time


def handle_sigusr1(signum, frame):
    print("Hello world", flush=True)


def handle_sigterm(signum, frame):
    print("Bye", flush=True)
    sys.exit(0)


def main():
    signal.signal(signal.SIGUSR1, handle_sigusr1)
    signal.signal(signal.SIGTERM, handle_sigterm)

    counter = 0
    while True:
        print(f"Tick {counter}", flush=True)
        counter += 1
        time.sleep(1)


if __name__ == "__main__":
    main()
