"""Print N numbered lines of WIDTH characters to standard output, as fast as the pipe takes them.

Run as a plain script (``python gen_lines.py N WIDTH``): it imports nothing of kata_snp_tui, so it
starts in a few milliseconds. Line ``i`` (0-based) is ``f"{i:09d} "`` followed by filler up to
WIDTH characters; the last line is therefore ``f"{N-1:09d} ..."``, which lets a reader check that
nothing was lost or reordered at the end.
"""

import sys

BLOCK = 2000


def main() -> int:
    n = int(sys.argv[1])
    width = max(11, int(sys.argv[2]))
    alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 -_=+./"
    filler = (alphabet * (width // len(alphabet) + 2))[: width - 10] + "\n"
    write = sys.stdout.buffer.write
    for start in range(0, n, BLOCK):
        write("".join([f"{i:09d} {filler}" for i in range(start, min(n, start + BLOCK))]).encode())
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
