"""The build recipe: the guide's steps as data, loaded, validated and resolved into runnable steps.

The built-in recipe is ``assets/recipe.toml``; a user may pass their own file of the same shape::

    [recipe]                      # optional metadata
    name = "..."
    guide = "..."

    [recipe.tree]                 # optional: which source tree the steps match
    version_file = "{kata_dir}/VERSION"
    matches = "3.2"               # the guide matches every 3.2.x release
    incompatible_from = "3.3.0"   # from this release on, a step is known to break
    warning = "why a newer tree breaks the build"

    [variables]                   # {name} in any step field is replaced by the value
    kata_version = "3.2.0"
    kata_dir = "{workspace}/kata-containers"

    [[steps]]
    id = "kernel-setup"           # lower-case letters, digits, '.', '_' and '-'
    title = "Set up the SNP guest kernel source"
    cwd = "{kata_dir}/tools/packaging"
    argv = ["./kernel/build-kernel.sh", "-a", "x86_64", "-x", "snp", "setup"]
    # or: shell = "..." (run by bash -e -o pipefail -c) for source/pushd constructs
    sudo = false                  # true: the whole step runs as root (sudo when not root)
    preserve_env = false          # with sudo: sudo -E
    calls_sudo = false            # true: the command runs sudo itself, inside a script the recipe
                                  # cannot see (marked like a root step in the dry run and the lists)
    pass_env = []                 # with sudo: NAME="$NAME" from the caller's environment (e.g. PATH)
    env = {}                      # extra environment variables
    creates = ["kata-linux-*"]    # artifacts (globs, relative to cwd) whose presence marks the step done
    needs = ["kata-checkout"]     # steps that must be done (or skipped) first; they must come earlier
    produces = "what the step leaves behind, for the step list"
    description = "longer notes shown beside the log"

Variables: ``{name}`` (lower-case identifier) is replaced everywhere; ``${NAME}`` and ``$NAME`` are
left alone for the shell. ``workspace`` is always defined. In ``argv``, ``cwd``, ``env`` and
``creates`` the value is inserted literally (it reaches the program as one argument, whatever it
contains); in ``shell`` it is quoted with :func:`shlex.quote`, so a placeholder must not sit inside
quotes there (the loader refuses it).

Every mistake in a recipe is a :class:`RecipeError` (a UserError: exit status 2) raised before any
step runs, naming the step.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib.resources import files
from pathlib import Path
from typing import Any

from kata_snp_tui.errors import UserError

#: The variable every recipe has.
BUILTIN_VARIABLES = ("workspace",)
STEP_KEYS = frozenset(
    {
        "id",
        "title",
        "cwd",
        "argv",
        "shell",
        "sudo",
        "preserve_env",
        "calls_sudo",
        "pass_env",
        "env",
        "creates",
        "needs",
        "produces",
        "description",
    }
)
TOP_KEYS = frozenset({"recipe", "variables", "steps"})
RECIPE_KEYS = frozenset({"name", "guide", "tree"})
TREE_KEYS = frozenset({"version_file", "matches", "incompatible_from", "warning"})

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_VAR_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: ``{name}`` not preceded by ``$`` (so ``${NAME}`` stays the shell's).
PLACEHOLDER_RE = re.compile(r"(?<!\$)\{([a-z_][a-z0-9_]*)\}")
#: How a shell step is run.
SHELL_ARGV = ("bash", "-e", "-o", "pipefail", "-c")


class RecipeError(UserError):
    """A recipe that cannot be used: the message names the file and the step."""


# ----------------------------------------------------------------------------- runnable steps


@dataclass(frozen=True)
class Step:
    """One runnable step with every variable filled in (what :class:`~kata_snp_tui.runner.Runner` runs).

    Other stages build ad-hoc steps directly, for example
    ``Step(id="verify.pull", title="Pull busybox", cwd=Path.home(),
    argv=("ctr", "image", "pull", "docker.io/library/busybox:latest"), sudo=True)``.
    """

    id: str
    title: str
    cwd: Path
    argv: tuple[str, ...] | None = None
    shell: str | None = None
    sudo: bool = False
    preserve_env: bool = False
    pass_env: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict, hash=False)
    #: Absolute paths or glob patterns.
    creates: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    produces: str = ""
    description: str = ""
    #: For a stand-in step (the demo's replay): the guide command it stands for, as display lines.
    stands_for: tuple[str, ...] = ()
    #: The command runs sudo itself inside a script (the recipe's ``calls_sudo``); see :func:`root_mark`.
    calls_sudo: bool = False

    def __post_init__(self) -> None:
        problem = step_problem(self)
        if problem:
            raise RecipeError(f"step {self.id!r}: {problem}")

    def command(self) -> tuple[str, ...]:
        """The argv to execute, before any privilege wrapper."""
        if self.argv is not None:
            return self.argv
        assert self.shell is not None
        return (*SHELL_ARGV, self.shell)

    def display_lines(self, as_root: bool = False) -> list[str]:
        """The step's command as a person would type it (``$``-less lines); see :func:`display_command`."""
        return display_command(self, as_root=as_root)

    def created_paths(self) -> list[str]:
        """``creates`` entries that exist now (globs expanded)."""
        found: list[str] = []
        for pattern in self.creates:
            if glob.has_magic(pattern):
                found.extend(sorted(glob.glob(pattern)))
            elif os.path.lexists(pattern):
                found.append(pattern)
        return found

    def missing_creates(self) -> list[str]:
        """``creates`` entries that do not exist (a glob counts when it matches anything)."""
        missing: list[str] = []
        for pattern in self.creates:
            if glob.has_magic(pattern):
                if not glob.glob(pattern):
                    missing.append(pattern)
            elif not os.path.lexists(pattern):
                missing.append(pattern)
        return missing

    def is_created(self) -> bool:
        """True when the step declares artifacts and all of them exist."""
        return bool(self.creates) and not self.missing_creates()


def step_problem(step: Step) -> str | None:
    """Why a runnable step is malformed, or None."""
    if not isinstance(step.id, str) or not _ID_RE.match(step.id):
        return "id must be lower-case letters, digits, '.', '_' or '-'"
    if (step.argv is None) == (step.shell is None):
        return "needs exactly one of 'argv' or 'shell'"
    if step.argv is not None and (not step.argv or not all(isinstance(a, str) for a in step.argv)):
        return "'argv' must be a non-empty list of strings"
    if step.argv is not None and not step.argv[0]:
        return "'argv' starts with an empty program name"
    if step.shell is not None and not step.shell.strip():
        return "'shell' is empty"
    for name in step.pass_env:
        if not _ENV_NAME_RE.match(name):
            return f"'pass_env' has a bad variable name {name!r}"
    for name in step.env:
        if not _ENV_NAME_RE.match(name):
            return f"'env' has a bad variable name {name!r}"
    return None


def display_command(step: Step, as_root: bool = False) -> list[str]:
    """Human-readable lines for a step's command (what the dry run and the screens show).

    A sudo step is shown as ``sudo [-E] [NAME="${NAME}" ...] [VAR=value ...] command``; when the
    wizard already runs as root (``as_root``), without sudo. A shell step shows its script lines,
    preceded by a comment when it runs as root.
    """
    env_words = [f"{k}={shlex.quote(v)}" for k, v in step.env.items()]
    use_sudo = step.sudo and not as_root
    if step.argv is not None:
        cmd = _join(step.argv)
        if use_sudo:
            words = ["sudo"]
            if step.preserve_env:
                words.append("-E")
            words.extend(f'{n}="${{{n}}}"' for n in step.pass_env)
            words.extend(env_words)
            return [" ".join(words) + " " + cmd]
        return [" ".join([*env_words, cmd])] if env_words else [cmd]
    assert step.shell is not None
    lines = step.shell.strip("\n").splitlines()
    head: list[str] = []
    if step.sudo:
        how = "as root" if as_root else "as root via sudo" + (" -E" if step.preserve_env else "")
        head.append(f"# the lines below run {how}")
    if step.env:
        head.append("# with " + " ".join(env_words))
    return head + lines


#: A ``sudo`` command word inside a script or an argv word (not part of a longer name or path).
_SUDO_WORD = re.compile(r"(?<![\w.-])sudo(?![\w.-])")


def calls_sudo(step: Step) -> bool:
    """True when the step's own command runs sudo itself (``sudo make install`` in its script, or a
    word of its argv, such as ``script -fec 'sudo -E ./rootfs.sh'``, or the recipe says so with
    ``calls_sudo`` for a script that does it out of sight), whatever its ``sudo`` key says."""
    if step.calls_sudo:
        return True
    if step.shell is not None:
        return any(_SUDO_WORD.search(line.split("#", 1)[0]) for line in step.shell.splitlines())
    return any(_SUDO_WORD.search(word) for word in step.argv or ())


def root_mark(step: Step, as_root: bool = False) -> str:
    """How a step gets root, for marking it wherever steps are listed; "" when none of it runs as root.

    ``as root`` / ``as root via sudo`` for a step with ``sudo = true`` (the wizard runs it as root, or
    through sudo when it is not root); ``runs sudo`` for a step whose own command calls sudo.
    """
    if step.sudo:
        return "as root" if as_root else "as root via sudo"
    if calls_sudo(step):
        return "runs sudo"
    return ""


def _join(argv: Iterable[str]) -> str:
    """shlex.join, but keeping ``VAR=value`` words readable."""
    return " ".join(shlex.quote(a) for a in argv)


# ------------------------------------------------------------------------------ the recipe


@dataclass(frozen=True)
class StepTemplate:
    """A step as written in the recipe, placeholders not yet filled."""

    id: str
    title: str
    cwd: str
    argv: tuple[str, ...] | None
    shell: str | None
    sudo: bool
    preserve_env: bool
    pass_env: tuple[str, ...]
    env: Mapping[str, str] = field(hash=False)
    creates: tuple[str, ...]
    needs: tuple[str, ...]
    produces: str
    description: str
    calls_sudo: bool = False


@dataclass(frozen=True)
class TreeCheck:
    """Which source tree the recipe matches (the guide is for Kata 3.2.x)."""

    version_file: str
    matches: str
    incompatible_from: str
    warning: str


@dataclass(frozen=True)
class TreeStatus:
    """What :func:`check_tree` found."""

    version: str | None
    warning: str | None


@dataclass(frozen=True)
class Recipe:
    name: str
    guide: str
    source: str
    variables: Mapping[str, str] = field(hash=False)
    steps: tuple[StepTemplate, ...]
    tree: TreeCheck | None = None

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.steps]

    def variable_values(self, workspace: Path, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
        """Every variable's final value (placeholders inside values resolved)."""
        raw: dict[str, str] = dict(self.variables)
        raw["workspace"] = str(workspace)
        for name, value in (overrides or {}).items():
            if name not in raw:
                known = ", ".join(sorted(raw))
                raise RecipeError(f"unknown recipe variable {name!r} (known: {known})")
            raw[name] = value
        resolved: dict[str, str] = {}

        def resolve(name: str, chain: tuple[str, ...]) -> str:
            if name in resolved:
                return resolved[name]
            if name in chain:
                raise RecipeError(f"{self.source}: variables refer to each other: {' -> '.join((*chain, name))}")
            if name not in raw:
                raise RecipeError(f"{self.source}: variable {chain[-1]!r} uses unknown variable {name!r}")
            value = PLACEHOLDER_RE.sub(lambda m: resolve(m.group(1), (*chain, name)), raw[name])
            resolved[name] = value
            return value

        for name in raw:
            resolve(name, ())
        return resolved

    def resolve(self, workspace: Path, overrides: Mapping[str, str] | None = None) -> list[Step]:
        """The runnable steps, in order, for this workspace."""
        values = self.variable_values(workspace, overrides)
        return [_resolve_step(t, values) for t in self.steps]

    def check_tree(self, workspace: Path, overrides: Mapping[str, str] | None = None) -> TreeStatus:
        """Read the checked-out tree's version and warn when it is newer than the guide."""
        if self.tree is None:
            return TreeStatus(None, None)
        values = self.variable_values(workspace, overrides)
        version_file = Path(_literal(self.tree.version_file, values))
        try:
            version = version_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()[0].strip()
        except (OSError, IndexError):
            return TreeStatus(None, None)
        return TreeStatus(version, tree_warning(version, self.tree))


def tree_warning(version: str, tree: TreeCheck) -> str | None:
    """The warning for a checked-out ``version``, or None when it is one the guide matches."""
    have = version_tuple(version)
    if have is None:
        return f"cannot tell which Kata release {version!r} is; the guide matches {tree.matches}.x"
    if have >= (version_tuple(tree.incompatible_from) or (9999,)):
        return f"the checked-out tree is Kata {version}, newer than the guide's {tree.matches}.x: {tree.warning}"
    if not _prefix_matches(have, tree.matches):
        return f"the checked-out tree is Kata {version}; the guide was written for {tree.matches}.x"
    return None


def version_tuple(text: str) -> tuple[int, ...] | None:
    """``"3.2.0"`` -> ``(3, 2, 0)``; ``"3.3.0-rc0"`` -> ``(3, 3, 0)``; no leading number -> None."""
    m = re.match(r"^\s*v?(\d+(?:\.\d+)*)", text)
    if not m:
        return None
    return tuple(int(p) for p in m.group(1).split("."))


def _prefix_matches(have: tuple[int, ...], prefix: str) -> bool:
    want = version_tuple(prefix) or ()
    return have[: len(want)] == want


def _literal(template: str, values: Mapping[str, str]) -> str:
    return PLACEHOLDER_RE.sub(lambda m: values[m.group(1)], template)


def _quoted(template: str, values: Mapping[str, str]) -> str:
    return PLACEHOLDER_RE.sub(lambda m: shlex.quote(values[m.group(1)]), template)


def _resolve_step(t: StepTemplate, values: Mapping[str, str]) -> Step:
    cwd = Path(_literal(t.cwd, values)).expanduser()
    creates = []
    for c in t.creates:
        p = Path(_literal(c, values)).expanduser()
        creates.append(str(p if p.is_absolute() else cwd / p))
    return Step(
        id=t.id,
        title=_literal(t.title, values),
        cwd=cwd,
        argv=tuple(_literal(a, values) for a in t.argv) if t.argv is not None else None,
        shell=_quoted(t.shell, values) if t.shell is not None else None,
        sudo=t.sudo,
        preserve_env=t.preserve_env,
        pass_env=t.pass_env,
        env={k: _literal(v, values) for k, v in t.env.items()},
        creates=tuple(creates),
        needs=t.needs,
        produces=_literal(t.produces, values),
        description=_literal(t.description, values),
        calls_sudo=t.calls_sudo,
    )


# ------------------------------------------------------------------------------- loading


def builtin_recipe_path() -> Path:
    return Path(str(files("kata_snp_tui.assets") / "recipe.toml"))


def load_recipe(path: Path | str | None = None) -> Recipe:
    """Load and validate a recipe (the built-in one when ``path`` is None)."""
    source_path = Path(path) if path is not None else builtin_recipe_path()
    label = "built-in recipe" if path is None else str(source_path)
    try:
        text = source_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecipeError(f"{label}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RecipeError(f"{label}: cannot read it ({exc})") from None
    return parse_recipe(text, label)


def parse_recipe(text: str, source: str = "recipe") -> Recipe:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RecipeError(f"{source}: not valid TOML ({exc})") from None
    return recipe_from_data(data, source)


def recipe_from_data(data: Mapping[str, Any], source: str = "recipe") -> Recipe:
    _no_unknown(data, TOP_KEYS, f"{source}: unknown top-level key")
    meta = data.get("recipe", {})
    if not isinstance(meta, Mapping):
        raise RecipeError(f"{source}: [recipe] must be a table")
    _no_unknown(meta, RECIPE_KEYS, f"{source}: unknown key in [recipe]")
    variables = data.get("variables", {})
    if not isinstance(variables, Mapping):
        raise RecipeError(f"{source}: [variables] must be a table")
    for name, value in variables.items():
        if not _VAR_NAME_RE.match(name):
            raise RecipeError(f"{source}: variable name {name!r} must be a lower-case identifier")
        if name in BUILTIN_VARIABLES:
            raise RecipeError(f"{source}: variable {name!r} is built in; set it with --workspace")
        if not isinstance(value, str):
            raise RecipeError(f"{source}: variable {name!r} must be a string")
    known = set(variables) | set(BUILTIN_VARIABLES)
    for name, value in variables.items():
        for ref in PLACEHOLDER_RE.findall(value):
            if ref not in known:
                raise RecipeError(f"{source}: variable {name!r} uses unknown variable {{{ref}}}")

    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise RecipeError(f"{source}: no steps (expected [[steps]] tables)")
    templates: list[StepTemplate] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_steps, start=1):
        t = _template(raw, index, source, known)
        if t.id in seen:
            raise RecipeError(f"{source}: step {t.id!r} (step {index}) repeats the id of step {seen[t.id]}")
        seen[t.id] = index
        templates.append(t)
    _check_needs(templates, source)

    tree = None
    if "tree" in meta:
        raw_tree = meta["tree"]
        if not isinstance(raw_tree, Mapping):
            raise RecipeError(f"{source}: [recipe.tree] must be a table")
        _no_unknown(raw_tree, TREE_KEYS, f"{source}: unknown key in [recipe.tree]")
        missing = sorted(TREE_KEYS - set(raw_tree))
        if missing:
            raise RecipeError(f"{source}: [recipe.tree] lacks {', '.join(missing)}")
        for key in TREE_KEYS:
            if not isinstance(raw_tree[key], str):
                raise RecipeError(f"{source}: [recipe.tree] {key} must be a string")
        for ref in PLACEHOLDER_RE.findall(raw_tree["version_file"]):
            if ref not in known:
                raise RecipeError(f"{source}: [recipe.tree] version_file uses unknown variable {{{ref}}}")
        tree = TreeCheck(**{k: raw_tree[k] for k in TREE_KEYS})
    return Recipe(
        name=str(meta.get("name", "recipe")),
        guide=str(meta.get("guide", "")),
        source=source,
        variables=dict(variables),
        steps=tuple(templates),
        tree=tree,
    )


def _no_unknown(table: Mapping[str, Any], allowed: frozenset[str], what: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise RecipeError(f"{what}: {', '.join(repr(k) for k in unknown)}")


def _template(raw: Any, index: int, source: str, known: set[str]) -> StepTemplate:
    if not isinstance(raw, Mapping):
        raise RecipeError(f"{source}: step {index} is not a table")
    sid = raw.get("id")
    name = f"step {sid!r}" if isinstance(sid, str) and sid else f"step {index}"
    where = f"{source}: {name}"

    def fail(msg: str) -> RecipeError:
        return RecipeError(f"{where}: {msg}")

    unknown = sorted(set(raw) - STEP_KEYS)
    if unknown:
        raise fail(f"unknown key {', '.join(repr(k) for k in unknown)} (allowed: {', '.join(sorted(STEP_KEYS))})")
    if not isinstance(sid, str) or not sid:
        raise fail("has no 'id'")
    if not _ID_RE.match(sid):
        raise fail("id must be lower-case letters, digits, '.', '_' or '-'")
    title = raw.get("title")
    if not isinstance(title, str) or not title.strip():
        raise fail("has no 'title'")
    cwd = raw.get("cwd", "{workspace}")
    if not isinstance(cwd, str) or not cwd:
        raise fail("'cwd' must be a non-empty string")

    argv = raw.get("argv")
    shell = raw.get("shell")
    if argv is None and shell is None:
        raise fail("has no command: give 'argv' (preferred) or 'shell'")
    if argv is not None and shell is not None:
        raise fail("has both 'argv' and 'shell': give one")
    if argv is not None:
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            raise fail("'argv' must be a non-empty list of strings")
        if not argv[0]:
            raise fail("'argv' starts with an empty program name")
    if shell is not None:
        if not isinstance(shell, str) or not shell.strip():
            raise fail("'shell' must be a non-empty string")
        quoted = placeholders_in_quotes(shell)
        if quoted:
            raise fail(
                f"'shell' has {{{quoted[0]}}} inside quotes; write it unquoted (values are quoted for the shell)"
            )

    def bool_key(key: str) -> bool:
        value = raw.get(key, False)
        if not isinstance(value, bool):
            raise fail(f"'{key}' must be true or false")
        return value

    def str_list(key: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise fail(f"'{key}' must be a list of non-empty strings")
        return tuple(value)

    def text(key: str) -> str:
        value = raw.get(key, "")
        if not isinstance(value, str):
            raise fail(f"'{key}' must be a string")
        return value

    env = raw.get("env", {})
    if not isinstance(env, Mapping) or not all(isinstance(v, str) for v in env.values()):
        raise fail("'env' must be a table of strings")
    for env_name in env:
        if not _ENV_NAME_RE.match(env_name):
            raise fail(f"'env' has a bad variable name {env_name!r}")
    pass_env = str_list("pass_env")
    for env_name in pass_env:
        if not _ENV_NAME_RE.match(env_name):
            raise fail(f"'pass_env' has a bad variable name {env_name!r}")

    t = StepTemplate(
        id=sid,
        title=title,
        cwd=cwd,
        argv=tuple(argv) if argv is not None else None,
        shell=shell,
        sudo=bool_key("sudo"),
        preserve_env=bool_key("preserve_env"),
        pass_env=pass_env,
        env=dict(env),
        creates=str_list("creates"),
        needs=str_list("needs"),
        produces=text("produces"),
        description=text("description"),
        calls_sudo=bool_key("calls_sudo"),
    )
    fields_text = [t.title, t.cwd, *(t.argv or ()), t.shell or "", *t.env.values(), *t.creates, t.produces, t.description]
    for value in fields_text:
        for ref in PLACEHOLDER_RE.findall(value):
            if ref not in known:
                raise fail(f"uses unknown variable {{{ref}}} (known: {', '.join(sorted(known))})")
    return t


def _check_needs(templates: Sequence[StepTemplate], source: str) -> None:
    index = {t.id: i for i, t in enumerate(templates)}
    for t in templates:
        for need in t.needs:
            if need not in index:
                raise RecipeError(f"{source}: step {t.id!r} needs {need!r}, which is not a step of the recipe")
            if need == t.id:
                raise RecipeError(f"{source}: step {t.id!r} needs itself")
    # cycles (reported as such, before the order check)
    graph = {t.id: list(t.needs) for t in templates}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt]
                raise RecipeError(f"{source}: steps need each other in a cycle: {' -> '.join(cycle)}")
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for t in templates:
        if t.id not in state:
            visit(t.id, [t.id])
    for t in templates:
        for need in t.needs:
            if index[need] > index[t.id]:
                raise RecipeError(f"{source}: step {t.id!r} needs {need!r}, which comes after it; move it earlier")


def placeholders_in_quotes(script: str) -> list[str]:
    """Placeholders that sit inside single or double quotes in a shell script (not allowed)."""
    bad: list[str] = []
    state = ""  # "", "'" or '"'
    i = 0
    n = len(script)
    while i < n:
        ch = script[i]
        if state == "'":
            if ch == "'":
                state = ""
            elif ch == "{":
                m = PLACEHOLDER_RE.match(script, i)
                if m:
                    bad.append(m.group(1))
                    i = m.end()
                    continue
            i += 1
            continue
        if ch == "\\":
            i += 2
            continue
        if ch == "{" and (i == 0 or script[i - 1] != "$"):
            m = PLACEHOLDER_RE.match(script, i)
            if m and state == '"':
                bad.append(m.group(1))
            if m:
                i = m.end()
                continue
        if state == '"':
            if ch == '"':
                state = ""
        elif ch in "'\"":
            state = ch
        i += 1
    return bad


def select_steps(steps: Sequence[Step], only: Sequence[str] | None) -> list[Step]:
    """The steps to run, in recipe order; ``only`` names a subset (unknown names are an error)."""
    if not only:
        return list(steps)
    ids = [s.id for s in steps]
    unknown = [o for o in only if o not in ids]
    if unknown:
        raise RecipeError(f"no step named {', '.join(repr(u) for u in unknown)} (steps: {', '.join(ids)})")
    wanted = set(only)
    return [s for s in steps if s.id in wanted]


def with_changes(step: Step, **changes: Any) -> Step:
    """A copy of ``step`` with some fields changed (validated again)."""
    return replace(step, **changes)
