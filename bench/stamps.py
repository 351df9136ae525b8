"""Reading the stamp files bench jobs write (bench/helpers/benchjob.c): one line per event."""

import os


class StampTail:
    """The stamps appended to a file from now on. Each poll reads only the new bytes, so a bench
    waiting for one stamp behind 10,000 jobs' start stamps does not take a core from the supd it
    measures (with two cores, re-reading the whole file every 2 ms did)."""

    def __init__(self, path, offset=None):
        """From OFFSET (default: the file's end now)."""
        self.path = path
        self.offset = offset if offset is not None else os.path.getsize(path) if os.path.exists(path) else 0
        self.partial = ""

    def new(self, word):
        """[(tag, pid, ns)] of the whole WORD lines appended since the last call."""
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return []
        self.offset += len(data)
        lines = (self.partial + data.decode()).split("\n")
        self.partial = lines.pop()
        return [(p[1], int(p[2]), int(p[3])) for p in (line.split() for line in lines)
                if len(p) == 4 and p[0] == word]
