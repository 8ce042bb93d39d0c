"""containerd's /etc/containerd/config.toml: is the Kata runtime there, and the same diff-and-apply flow.

The changes (``assets/containerd_changes.toml``, from docs/how-to/containerd-kata.md):

* ``kata-runtime``: a ``runtimes.kata`` table with ``runtime_type = "io.containerd.kata.v2"`` under the CRI
  plugin of the file's config version (1: ``plugins.cri``; 2, containerd 1.7:
  ``plugins."io.containerd.grpc.v1.cri"``; 3, containerd 2.x: ``plugins.'io.containerd.cri.v1.runtime'``),
  inserted right after the other runtimes and indented like them;
* ``kata-config-path``: its ``options.ConfigPath`` pointing at the Kata configuration the guide edits;
* ``cri-enabled``: ``cri`` removed from ``disabled_plugins`` (Docker's containerd.io package disables it).

Like the Kata patcher it rewrites only the lines it must and leaves every other byte alone.
``ctr run`` (the guide's test) does not read these tables; crictl and Kubernetes do.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from kata_snp_tui.config.changes import Change, Value
from kata_snp_tui.config.lexer import Lexed, Statement, dominant_eol, find_key, lex, strip_eol
from kata_snp_tui.config.patcher import (
    ChangeResult,
    PatchError,
    PatchResult,
    _Item,
    _Plan,
    _set_value_in_statement,
    _statement_text,
    describe_value,
    parse_written,
    render_value,
    same_value,
)
from kata_snp_tui.config.validate import ERROR, INFO, WARNING, Finding, Validation, parse_error_finding

CONTAINERD_CONFIG = Path("etc/containerd/config.toml")
KATA_CONFIG_DEFAULT = "/etc/kata-containers/configuration.toml"


@dataclass(frozen=True)
class ContainerdSpec:
    runtime_name: str
    runtime_type: str
    cri_plugin: dict[int, str]
    runtime_settings: dict[str, Any]
    changes: tuple[Change, ...]

    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.changes)

    def get(self, change_id: str) -> Change:
        return next(c for c in self.changes if c.id == change_id)

    def values(self, config_path: str | None = None) -> dict[str, Value]:
        return {"kata-config-path": config_path or KATA_CONFIG_DEFAULT}


@lru_cache(maxsize=1)
def load_spec() -> ContainerdSpec:
    data = tomllib.loads((files("kata_snp_tui.assets") / "containerd_changes.toml").read_text(encoding="utf-8"))
    changes = tuple(
        Change(
            id=str(c["id"]),
            key=str(c["id"]),
            action="set",
            type="string" if c.get("value") is not None else "table",
            title=str(c["title"]),
            guide=str(c.get("guide", "")),
            source=str(c.get("source", "")),
            value=c.get("value"),
            option=c.get("option"),
            want=str(c.get("want", "")),
        )
        for c in data["change"]
    )
    return ContainerdSpec(
        runtime_name=str(data["runtime_name"]),
        runtime_type=str(data["runtime_type"]),
        cri_plugin={int(k): str(v) for k, v in data["cri_plugin"].items()},
        runtime_settings=dict(data.get("runtime_settings", {})),
        changes=changes,
    )


@dataclass(frozen=True)
class Layout:
    version: int
    cri_plugin: str

    @property
    def runtimes(self) -> tuple[str, ...]:
        return ("plugins", self.cri_plugin, "containerd", "runtimes")

    def runtime(self, name: str) -> tuple[str, ...]:
        return (*self.runtimes, name)

    def options(self, name: str) -> tuple[str, ...]:
        return (*self.runtime(name), "options")


def layout_of(doc: Mapping[str, object], spec: ContainerdSpec | None = None) -> Layout:
    spec = spec or load_spec()
    version = doc.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version not in spec.cri_plugin:
        raise PatchError(f"containerd config version {version!r} is not one this editor knows (1, 2 or 3)")
    return Layout(version, spec.cri_plugin[version])


def _get(doc: Mapping[str, object], path: tuple[str, ...]) -> object:
    node: object = doc
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def parse_containerd(text: str) -> dict[str, object]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PatchError(f"not valid TOML: {exc}") from None


def _header(lexed: Lexed, name: tuple[str, ...]) -> Statement | None:
    for st in lexed.statements:
        if st.kind == "header" and st.key == name and not st.array_table:
            return st
    return None


def _region_end(lexed: Lexed, prefix: tuple[str, ...]) -> int | None:
    """The line after the last non-blank line of the last table under ``prefix`` (None: no such table)."""
    last: int | None = None
    for region in lexed.tables:
        if region.header >= 0 and region.name[: len(prefix)] == prefix:
            end = region.end
            while end > region.start + 1 and not strip_eol(lexed.lines[end - 1]).strip():
                end -= 1
            last = end if last is None else max(last, end)
    return last


def _quote_style(lexed: Lexed, plugin: str) -> str:
    for st in lexed.statements:
        if st.kind == "header" and plugin in st.key:
            body = lexed.line_body(st.first)
            if f"'{plugin}'" in body:
                return "'"
            if f'"{plugin}"' in body:
                return '"'
    return '"'


def _render_name(name: tuple[str, ...], quote: str) -> str:
    from kata_snp_tui.config.lexer import _BARE_KEY  # the same rule the lexer uses

    return ".".join(p if _BARE_KEY.fullmatch(p) else f"{quote}{p}{quote}" for p in name)


def _literal(value: object, quote: str) -> str:
    """A TOML literal in the file's quote style (containerd 2.x writes 'single-quoted' strings)."""
    if quote == "'":
        if isinstance(value, str):
            return render_value(value, "'")
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return "[" + ", ".join(render_value(v, "'") for v in value) + "]"
    return render_value(value)  # type: ignore[arg-type]


def _indent(body: str) -> str:
    return body[: len(body) - len(body.lstrip(" \t"))]


def _styles(lexed: Lexed, layout: Layout) -> tuple[str, str, str, str]:
    """(runtime header indent, runtime key indent, options header indent, options key indent), copied
    from an existing runtime (runc) when there is one, else containerd's own 2-space nesting."""
    for region in lexed.tables:
        if region.header >= 0 and len(region.name) == len(layout.runtimes) + 1 and region.name[:-1] == layout.runtimes:
            h = _indent(lexed.line_body(region.header))
            keys = [s for s in lexed.statements if s.kind == "keyval" and s.table == region.name]
            k = _indent(lexed.line_body(keys[0].first)) if keys else h + "  "
            opt = _header(lexed, (*region.name, "options"))
            oh = _indent(lexed.line_body(opt.first)) if opt else k
            okeys = [s for s in lexed.statements if s.kind == "keyval" and opt and s.table == opt.key]
            ok = _indent(lexed.line_body(okeys[0].first)) if okeys else oh + "  "
            return h, k, oh, ok
    parent = _header(lexed, layout.runtimes) or _header(lexed, layout.runtimes[:-1])
    base = _indent(lexed.line_body(parent.first)) + "  " if parent else ""
    return base, base + "  ", base + "  ", base + "    "


def patch_containerd(
    text: str,
    accepted_ids: Collection[str] | None = None,
    values: Mapping[str, Value] | None = None,
    spec: ContainerdSpec | None = None,
) -> PatchResult:
    """Apply the accepted containerd changes (all when None) to ``text``; see the module docstring."""
    spec = spec or load_spec()
    accepted = set(spec.ids() if accepted_ids is None else accepted_ids)
    wanted = spec.values()
    if values:
        wanted.update({k: v for k, v in values.items() if v is not None})
    doc = parse_containerd(text)
    layout = layout_of(doc, spec)
    lexed = lex(text)
    plan = _Plan(lexed=lexed, eol=dominant_eol(lexed.lines) if lexed.lines else "\n")
    eol = plan.eol
    quote = _quote_style(lexed, layout.cri_plugin)
    h_ind, k_ind, oh_ind, ok_ind = _styles(lexed, layout)
    name = spec.runtime_name
    runtime = _get(doc, layout.runtime(name))
    runtime_header = _header(lexed, layout.runtime(name))
    options_header = _header(lexed, layout.options(name))
    results: list[ChangeResult] = []
    block: list[_Item] = []  # a new [..runtimes.kata] table (and its options) to insert
    block_slot: int | None = None

    def result(change: Change, status: str, action: str = "", current: str = "", before=None, old="", new="", detail="", value=None) -> None:
        results.append(
            ChangeResult(
                change=change,
                accepted=change.id in accepted,
                status=status,
                action=action,
                current=current,
                before=before,
                old_text=old,
                new_text=new,
                detail=detail,
                value=value,
            )
        )

    # 1. the runtime table
    change = spec.get("kata-runtime")
    rt_type = runtime.get("runtime_type") if isinstance(runtime, Mapping) else None
    current = "absent" if runtime is None else (f"runtime_type is {describe_value(rt_type)}" if rt_type is not None else "has no runtime_type")
    if same_value(rt_type, spec.runtime_type):
        span = runtime_header.span if runtime_header else None
        result(change, "met", current=current, before=span, old=_statement_text(lexed, runtime_header))
    elif change.id not in accepted:
        result(change, "rejected", current=current)
    elif runtime is not None and runtime_header is None:
        result(change, "failed", current=current, detail="the kata runtime is defined inline or with dotted keys; edit it by hand")
    elif runtime_header is not None:
        st = find_key(lexed, layout.runtime(name), "runtime_type")
        if st is not None:
            new = _set_value_in_statement(lexed, st, spec.runtime_type)
            plan.replace[st.first] = [_Item(new, change.id)]
            for i in range(st.first + 1, st.last + 1):
                plan.replace[i] = []
            result(change, "apply", "set value", current, st.span, _statement_text(lexed, st), new)
        else:
            slot = runtime_header.last + 1
            new = f"{k_ind}runtime_type = {_literal(spec.runtime_type, quote)}{eol}"
            plan.slots.setdefault(slot, []).append(_Item(new, change.id))
            result(change, "apply", "insert", current, (slot, slot), "", new)
    else:
        end = _region_end(lexed, layout.runtimes)
        block_slot = end if end is not None else len(lexed.lines)
        block.append(_Item(eol, change.id))
        block.append(_Item(f"{h_ind}[{_render_name(layout.runtime(name), quote)}]{eol}", change.id))
        block.append(_Item(f"{k_ind}runtime_type = {_literal(spec.runtime_type, quote)}{eol}", change.id))
        for key, value in spec.runtime_settings.items():
            block.append(_Item(f"{k_ind}{key} = {_literal(value, quote)}{eol}", change.id))
        result(change, "apply", "insert table", current, (block_slot, block_slot), "", "".join(i.text for i in block))

    # 2. options.ConfigPath
    change = spec.get("kata-config-path")
    want = wanted["kata-config-path"]
    options = _get(doc, layout.options(name))
    cfg = options.get("ConfigPath") if isinstance(options, Mapping) else None
    current = "absent" if cfg is None else f"is {describe_value(cfg)}"
    if same_value(cfg, want):
        st = find_key(lexed, layout.options(name), "ConfigPath")
        result(change, "met", current=current, before=st.span if st else None, old=_statement_text(lexed, st), value=want)
    elif change.id not in accepted:
        result(change, "rejected", current=current, value=want)
    elif options_header is not None:
        st = find_key(lexed, layout.options(name), "ConfigPath")
        if st is not None:
            new = _set_value_in_statement(lexed, st, want)
            plan.replace[st.first] = [_Item(new, change.id)]
            for i in range(st.first + 1, st.last + 1):
                plan.replace[i] = []
            result(change, "apply", "set value", current, st.span, _statement_text(lexed, st), new, value=want)
        else:
            slot = options_header.last + 1
            new = f"{ok_ind}ConfigPath = {_literal(want, quote)}{eol}"
            plan.slots.setdefault(slot, []).append(_Item(new, change.id))
            result(change, "apply", "insert", current, (slot, slot), "", new, value=want)
    elif runtime_header is not None or block:
        lines = [
            _Item(eol, change.id),
            _Item(f"{oh_ind}[{_render_name(layout.options(name), quote)}]{eol}", change.id),
            _Item(f"{ok_ind}ConfigPath = {_literal(want, quote)}{eol}", change.id),
        ]
        if block:
            block.extend(lines)
            slot = block_slot
        else:
            assert runtime_header is not None
            slot = _region_end(lexed, layout.runtime(name)) or runtime_header.last + 1
            plan.slots.setdefault(slot, []).extend(lines)
        result(change, "apply", "insert table", current, (slot, slot), "", "".join(i.text for i in lines), value=want)
    else:
        result(change, "failed", current=current, detail="needs the kata runtime table: accept “Kata runtime for CRI” too", value=want)

    # 3. the CRI plugin must not be disabled
    change = spec.get("cri-enabled")
    disabled = doc.get("disabled_plugins")
    blocked = {"cri", "io.containerd.grpc.v1.cri", layout.cri_plugin}
    hits = [p for p in disabled if p in blocked] if isinstance(disabled, list) else []
    current = f"disabled_plugins is {render_value(disabled)}" if isinstance(disabled, list) else "no disabled_plugins"
    if not hits:
        st = find_key(lexed, (), "disabled_plugins")
        result(change, "met", current=current, before=st.span if st else None, old=_statement_text(lexed, st))
    elif change.id not in accepted:
        result(change, "rejected", current=current)
    else:
        st = find_key(lexed, (), "disabled_plugins")
        assert st is not None and isinstance(disabled, list)
        remaining = [p for p in disabled if p not in blocked]
        new = _set_value_in_statement(lexed, st, remaining)  # type: ignore[arg-type]
        plan.replace[st.first] = [_Item(new, change.id)]
        for i in range(st.first + 1, st.last + 1):
            plan.replace[i] = []
        result(change, "apply", "set value", current, st.span, _statement_text(lexed, st), new)

    if block and block_slot is not None:
        plan.slots.setdefault(block_slot, []).extend(block)
    items = plan.assemble()
    out = "".join(i.text for i in items)
    spans: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        if item.owner is not None:
            spans.setdefault(item.owner, []).append(index)
    return PatchResult(original=text, text=out, changes=tuple(_verify(out, layout, spec, results, spans, wanted)), table=layout.runtimes)


def _verify(
    text: str, layout: Layout, spec: ContainerdSpec, results: list[ChangeResult], spans: Mapping[str, list[int]], wanted: Mapping[str, Value]
) -> list[ChangeResult]:
    doc = parse_written(text) if any(r.status == "apply" for r in results) else parse_containerd(text)
    if doc is None:
        raise PatchError("internal error: the patched containerd config does not parse; nothing was changed")
    final = []
    for r in results:
        lines = spans.get(r.id)
        after = (min(lines), max(lines) + 1) if lines else (r.before if r.status == "met" else None)
        status, detail = r.status, r.detail
        if status == "apply":
            ok = {
                "kata-runtime": lambda: same_value(_get(doc, (*layout.runtime(spec.runtime_name), "runtime_type")), spec.runtime_type),
                "kata-config-path": lambda: same_value(_get(doc, (*layout.options(spec.runtime_name), "ConfigPath")), wanted["kata-config-path"]),
                "cri-enabled": lambda: not any(p in ("cri", "io.containerd.grpc.v1.cri", layout.cri_plugin) for p in (doc.get("disabled_plugins") or [])),  # type: ignore[union-attr]
            }[r.id]()
            if not ok:
                status, detail = "failed", "the change did not take effect"
        final.append(
            ChangeResult(
                change=r.change,
                accepted=r.accepted,
                status=status,
                action=r.action,
                current=r.current,
                before=r.before,
                after=after,
                old_text=r.old_text,
                new_text=r.new_text,
                detail=detail,
                value=r.value,
            )
        )
    return final


def validate_containerd(text: str, exists: Any = None) -> Validation:
    """Parse, know the version, and flag what stops Kata from running under containerd."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return Validation((parse_error_finding(exc),), None)
    findings: list[Finding] = []
    spec = load_spec()
    try:
        layout = layout_of(doc, spec)
    except PatchError as exc:
        return Validation((Finding(ERROR, "version", str(exc)),), doc)
    lexed = lex(text)
    runtimes = _get(doc, layout.runtimes)
    if isinstance(runtimes, Mapping):
        for rname, rt in runtimes.items():
            if isinstance(rt, Mapping) and isinstance(rt.get("runtime_type"), str):
                rtype = str(rt["runtime_type"])
                if rtype.startswith("io.containerd.kata") and rname != spec.runtime_name:
                    findings.append(Finding(INFO, "other-kata-runtime", f"runtime {rname!r} also uses Kata ({rtype})"))
    if layout.version == 1:
        findings.append(Finding(INFO, "old-version", "config version 1: containerd 2.x migrates it; `containerd config migrate` writes the new form"))
    other_version_plugins = [p for v, p in spec.cri_plugin.items() if v != layout.version and v != 1]
    for st in lexed.statements:
        if st.kind == "header" and len(st.key) > 1 and st.key[0] == "plugins" and st.key[1] in other_version_plugins:
            findings.append(
                Finding(
                    WARNING,
                    "wrong-version-table",
                    f"[{'.'.join(st.key[:2])}...] is the config version {'3' if layout.version == 2 else '2'} name; containerd ignores it in a version {layout.version} file",
                    st.first,
                )
            )
            break
    return Validation(tuple(findings), doc)
