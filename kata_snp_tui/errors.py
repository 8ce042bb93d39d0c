"""Errors a user can cause: they end in one clear line and exit status 2, never a traceback."""

from __future__ import annotations


class UserError(Exception):
    """Bad arguments or unreadable input. ``str(exc)`` is the whole message shown to the user."""

    exit_code = 2
