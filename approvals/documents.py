"""Reading JSON and YAML documents (catalogues, projects, calendar arrangements) with clear errors."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from approvals.errors import DocumentError

#: Documents larger than this are refused before parsing (a catalogue of 100,000 items is ~40 MB).
MAX_DOCUMENT_BYTES = 200 * 1024 * 1024


@lru_cache(maxsize=1)
def _no_alias_safe_loader() -> type:
    """SafeLoader that refuses YAML aliases: they let a tiny file expand without bound.  (PyYAML
    is imported on the first YAML document: a JSON catalogue does not wait for it.)"""
    import yaml

    class _NoAliasSafeLoader(yaml.SafeLoader):
        def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(
                    None, None, "YAML aliases (*ref) are not accepted", event.start_mark
                )
            return super().compose_node(parent, index)

    return _NoAliasSafeLoader


def parse_document(text: str, name: str, fmt: str | None = None) -> Any:
    """Parse ``text`` as JSON or YAML (by ``fmt``, else by ``name``'s suffix, else JSON then YAML).

    Raises
    ------
    DocumentError
        Malformed text (with its line and column), YAML aliases, or nesting too deep to be a
        catalogue, project or arrangement.
    """
    try:
        return _parse(text, name, fmt)
    except RecursionError:
        raise DocumentError(f"{name}：嵌套层级过深", f"{name}: nested too deeply") from None


def _fast_json(text: str | bytes) -> Any:
    """msgspec's decoder, a third faster than the stdlib's on large catalogues.  Whatever it
    accepts, ``json.loads`` reads to the same values; what it refuses (NaN, numbers beyond a
    float, lone surrogates, malformed text) is left to ``json.loads``."""
    import msgspec

    return msgspec.json.decode(text)


def _parse(text: str, name: str, fmt: str | None) -> Any:
    suffix = (fmt or Path(name).suffix.lstrip(".")).lower()
    if suffix == "json" or (not suffix and text.lstrip().startswith(("{", "["))):
        try:
            return _fast_json(text)
        except Exception:  # not strict JSON for msgspec: the stdlib decides, and names the place
            pass
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise DocumentError(
                f"{name}：JSON 格式错误，第 {e.lineno} 行第 {e.colno} 列：{e.msg}",
                f"{name}: malformed JSON at line {e.lineno}, column {e.colno}: {e.msg}",
            ) from None
    import yaml

    try:
        return yaml.load(text, Loader=_no_alias_safe_loader())
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where_zh = f"第 {mark.line + 1} 行第 {mark.column + 1} 列：" if mark else ""
        where_en = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise DocumentError(
            f"{name}：YAML 格式错误，{where_zh}{problem}",
            f"{name}: malformed YAML{where_en}: {problem}",
        ) from None


def read_document(path: str | Path) -> Any:
    """Read a ``.json``, ``.yaml`` or ``.yml`` file.

    Raises
    ------
    DocumentError
        When the file is missing, unreadable, too large, not UTF-8, or malformed.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise DocumentError(
                f"{p}：文件过大（{size} 字节）", f"{p}: file too large ({size} bytes)"
            )
        raw = p.read_bytes()
    except FileNotFoundError:
        raise DocumentError(f"{p}：文件不存在", f"{p}: no such file") from None
    except IsADirectoryError:
        raise DocumentError(f"{p}：是目录而不是文件", f"{p}: is a directory, not a file") from None
    except OSError as e:
        raise DocumentError(
            f"{p}：无法读取（{e.strerror}）", f"{p}: cannot read ({e.strerror})"
        ) from None
    suffix = p.suffix.lower().lstrip(".")
    if suffix == "json":
        # msgspec reads the bytes as they are (checking the UTF-8 itself): no text copy of a
        # large catalogue, no UTF-8 copy of that text for the decoder; what it refuses (a BOM,
        # bytes that are not UTF-8, anything _fast_json leaves to the stdlib) goes the long way
        try:
            return _fast_json(raw)
        except Exception:
            pass
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DocumentError(
            f"{p}：不是 UTF-8 编码（第 {e.start} 字节）", f"{p}: not UTF-8 text (byte {e.start})"
        ) from None
    return parse_document(text, str(p), "yaml" if suffix == "yml" else (suffix or None))
