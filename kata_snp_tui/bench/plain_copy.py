"""The baseline for log streaming: a plain Python loop copying a command's output to a file.

``python plain_copy.py OUT COMMAND [ARG ...]`` runs COMMAND with its standard output on a pipe and
copies it line by line (``for line in proc.stdout: f.write(line)``) into OUT. This is the cheapest
honest way to keep a whole build log, the figure DESIGN.md quotes ("plain Python 1.0 s for 1M lines").
"""

import subprocess
import sys


def main() -> int:
    out, argv = sys.argv[1], sys.argv[2:]
    with open(out, "wb") as fh:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert proc.stdout is not None
        for line in proc.stdout:
            fh.write(line)
        return proc.wait()


if __name__ == "__main__":
    raise SystemExit(main())
