"""The wizard's own settings (for now: the colour theme), kept in the state folder as TOML.

``$XDG_STATE_HOME/kata-snp-tui/settings.toml``, written atomically (``atomic.atomic_write``, mode
0600). The environment variable ``KATA_SNP_TUI_THEME`` overrides the saved theme for one run.
A settings file that cannot be read or parsed never stops the wizard: the defaults are used and
the problem is reported so the app can say so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import tomlkit
from tomlkit.exceptions import TOMLKitError

from kata_snp_tui.atomic import atomic_write
from kata_snp_tui.paths import state_dir

SETTINGS_FILE = "settings.toml"
THEME_ENV = "KATA_SNP_TUI_THEME"


@dataclass(frozen=True)
class Settings:
    #: A Textual theme name ("textual-dark", "textual-light", "nord", ...); None for Textual's default.
    theme: str | None = None


@dataclass(frozen=True)
class LoadedSettings:
    settings: Settings
    #: Why the file could not be used (the defaults were used instead), or None.
    problem: str | None = None


@dataclass(frozen=True)
class ThemeChoice:
    """Which theme to start with and where that came from."""

    name: str | None
    #: "env" (KATA_SNP_TUI_THEME), "settings" (the saved choice) or "default".
    source: str
    problem: str | None = None


def settings_path() -> Path:
    return state_dir() / SETTINGS_FILE


def load_settings(path: Path | None = None) -> LoadedSettings:
    """Read the settings file; a missing file gives the defaults, a broken one the defaults and a problem."""
    path = path if path is not None else settings_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return LoadedSettings(Settings())
    except (OSError, UnicodeDecodeError) as exc:
        return LoadedSettings(Settings(), f"cannot read {path}: {exc}")
    try:
        doc = tomlkit.parse(text).unwrap()
    except TOMLKitError as exc:
        return LoadedSettings(Settings(), f"{path} is not valid TOML ({exc}); using the defaults")
    theme = doc.get("theme")
    if theme is not None and (not isinstance(theme, str) or not theme.strip()):
        return LoadedSettings(Settings(), f"{path}: 'theme' must be a theme name; using the default theme")
    return LoadedSettings(Settings(theme=theme.strip() if theme else None))


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write the settings atomically, keeping any other keys and comments a user put in the file."""
    path = path if path is not None else settings_path()
    keep_backup = False
    try:
        doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        doc = _new_document()
    except (OSError, UnicodeDecodeError, TOMLKitError):
        # A broken file is replaced, but kept beside it as settings.toml.bak-<time>.
        doc = _new_document()
        keep_backup = True
    if settings.theme is None:
        doc.pop("theme", None)
    else:
        doc["theme"] = settings.theme
    atomic_write(path, tomlkit.dumps(doc).encode("utf-8"), backup=keep_backup, mode=0o600)
    return path


def _new_document() -> tomlkit.TOMLDocument:
    doc = tomlkit.document()
    doc.add(tomlkit.comment("kata-snp-tui settings (written by the wizard; safe to edit)"))
    return doc


def initial_theme(environ: dict[str, str] | None = None, path: Path | None = None) -> ThemeChoice:
    """The theme to start with: KATA_SNP_TUI_THEME, else the saved one, else Textual's default."""
    env = os.environ if environ is None else environ
    from_env = env.get(THEME_ENV, "").strip()
    if from_env:
        return ThemeChoice(from_env, "env")
    loaded = load_settings(path)
    if loaded.settings.theme:
        return ThemeChoice(loaded.settings.theme, "settings", loaded.problem)
    return ThemeChoice(None, "default", loaded.problem)


def remember_theme(name: str, path: Path | None = None) -> Path:
    """Save ``name`` as the theme for the next start (other settings are kept)."""
    path = path if path is not None else settings_path()
    loaded = load_settings(path)
    if loaded.problem is None and loaded.settings.theme == name and path.exists():
        return path
    return save_settings(replace(loaded.settings, theme=name), path)
