"""The root side of a save: ``sudo python -m kata_snp_tui.config.privileged_write ...``.

Run through sudo when the user cannot write a root-owned file (``/etc/kata-containers/configuration.toml``).
It performs the same atomic write as an unprivileged save (``atomic.atomic_write``: temporary file in the
same folder, fsync, rename, timestamped backup, mode and owner kept, refusal when the file changed since
it was loaded) and answers with one JSON line on stdout. It reads the new content from a file the
caller wrote (0600, in the caller's state folder), never from stdin, which belongs to sudo's password.

    write TARGET --content FILE (--expect-sha256 HEX | --expect-absent) [--no-backup] [--require-toml] [--mode 0644]
    read TARGET            the file's bytes on stdout
    list TARGET            the backups beside TARGET, as JSON

Exit status: 0 done, 2 refused or failed (the JSON says why), 3 the file changed on disk.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tomllib
from pathlib import Path

from kata_snp_tui.atomic import ChangedOnDisk, Fingerprint, atomic_write, list_backups


def _reply(payload: dict[str, object], code: int) -> int:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()
    return code


def _write(args: argparse.Namespace) -> int:
    target = Path(args.target)
    data = Path(args.content).read_bytes()
    if args.require_toml:
        try:
            tomllib.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            return _reply({"ok": False, "error": f"refusing to write {target}: not valid TOML: {exc}"}, 2)
    expected: Fingerprint | None = None
    if args.expect_sha256:
        expected = Fingerprint(size=-1, mtime_ns=0, sha256=args.expect_sha256)
    elif args.expect_absent and target.exists():
        return _reply({"ok": False, "changed": True, "error": f"{target} appeared on disk since it was checked"}, 3)
    mode = int(args.mode, 8) if args.mode else None
    try:
        result = atomic_write(target, data, expected=expected, backup=not args.no_backup, mode=mode)
    except ChangedOnDisk as exc:
        return _reply({"ok": False, "changed": True, "error": str(exc)}, 3)
    written = target.read_bytes() if target.exists() else b""
    if hashlib.sha256(written).hexdigest() != hashlib.sha256(data).hexdigest():
        return _reply({"ok": False, "error": f"{target} does not read back as written"}, 2)
    return _reply({"ok": True, "path": str(result.path), "backup": str(result.backup) if result.backup else None}, 0)


def _read(args: argparse.Namespace) -> int:
    sys.stdout.buffer.write(Path(args.target).read_bytes())
    sys.stdout.flush()
    return 0


def _list(args: argparse.Namespace) -> int:
    backups = [{"path": str(b.path), "size": b.size, "taken_at": b.taken_at.isoformat()} for b in list_backups(Path(args.target))]
    return _reply({"ok": True, "backups": backups}, 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="privileged_write", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="op", required=True)
    w = sub.add_parser("write")
    w.add_argument("target")
    w.add_argument("--content", required=True)
    group = w.add_mutually_exclusive_group(required=True)
    group.add_argument("--expect-sha256")
    group.add_argument("--expect-absent", action="store_true")
    w.add_argument("--no-backup", action="store_true")
    w.add_argument("--require-toml", action="store_true")
    w.add_argument("--mode")
    r = sub.add_parser("read")
    r.add_argument("target")
    ls = sub.add_parser("list")
    ls.add_argument("target")
    args = parser.parse_args(argv)
    try:
        return {"write": _write, "read": _read, "list": _list}[args.op](args)
    except OSError as exc:
        if args.op == "read":
            sys.stderr.write(f"cannot read {args.target}: {exc.strerror or exc}\n")
            return 2
        return _reply({"ok": False, "error": f"{exc.filename or args.target}: {exc.strerror or exc}"}, 2)


if __name__ == "__main__":  # pragma: no cover - run as a module through sudo
    raise SystemExit(main())
