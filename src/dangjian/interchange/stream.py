"""Reading a `dangjian/1` dataset top-level key by key, a list record by record.

The importer never holds the whole file: `read_dataset` yields each top-level
key with either its value (e.g. `"format"`) or, for a list the format knows, an
iterator over its raw records, parsed one at a time from a buffer of about one
chunk. A record on a line of its own (as `generate` and `export` write them)
is parsed by orjson; anything else by the standard library's `raw_decode`,
which finds where the value ends. Malformed JSON raises a DatasetError naming
the line and column, wherever in the file it is.
"""

from __future__ import annotations

import codecs
import json
import os
import re
from collections.abc import Iterator, Mapping
from typing import IO, Any

import orjson

from dangjian.interchange.errors import DatasetError, Problem
from dangjian.interchange.validation import LISTS

CHUNK = 1 << 20
_WS = re.compile(r"[ \t\n\r]*")
# A comma between two values of a list, up to the next value's first character.
_SEP = re.compile(r"[ \t\n\r]*,[ \t\n\r]*(?=[^ \t\n\r])")

Source = str | os.PathLike[str] | IO[bytes] | IO[str] | Mapping[str, Any]


def read_dataset(source: Source) -> Iterator[tuple[str, Any]]:
    """(key, value) for each top-level key; a known list's value is an iterator of records
    (a mapping's lists are given as they are).

    Each list's iterator must be used up (or dropped) before the next key is asked for.
    """
    if isinstance(source, Mapping):
        yield from source.items()
        return
    if isinstance(source, str | os.PathLike):
        try:
            fh: IO[Any] = open(source, "rb")  # noqa: SIM115 (closed below)
        except OSError as exc:
            raise _unreadable(exc) from exc
        try:
            yield from _Scanner(fh).document()
        finally:
            fh.close()
    else:
        yield from _Scanner(source).document()


def _unreadable(exc: Exception) -> DatasetError:
    return DatasetError([Problem("", "", "", f"无法读取文件：{exc} (cannot read)")])


class _Malformed(Exception):
    def __init__(self, msg: str, pos: int) -> None:
        super().__init__(msg)
        self.msg, self.pos = msg, pos


def _reject_constant(name: str) -> Any:
    raise ValueError(f"not valid JSON: {name}")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


class _Scanner:
    """A window over the text; `pos` is where parsing stands inside `buf`."""

    def __init__(self, fh: IO[Any]) -> None:
        self.fh = fh
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.line = 1  # line of buf[0]
        self.column = 0  # characters of that line before buf[0]
        self.bytes_read = 0

    # ------------------------------------------------------------ buffer

    def _more(self) -> bool:
        """Append a chunk (dropping what is parsed); False at the end of the file."""
        if self.eof:
            return False
        try:
            chunk = self.fh.read(CHUNK)
        except OSError as exc:
            raise _unreadable(exc) from exc
        if isinstance(chunk, bytes):
            self.bytes_read += len(chunk)
            try:
                text = self.decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                raise self._error(f"不是 UTF-8 编码 ({exc.reason})", len(self.buf)) from exc
        else:
            text = chunk
        if not chunk:
            self.eof = True
        done = self.buf[: self.pos]
        newlines = done.count("\n")
        if newlines:
            self.line += newlines
            self.column = len(done) - done.rfind("\n") - 1
        else:
            self.column += len(done)
        self.buf = self.buf[self.pos :] + text
        self.pos = 0
        return bool(text) or not self.eof

    def _error(self, msg: str, pos: int) -> DatasetError:
        before = self.buf[:pos]
        newlines = before.count("\n")
        line = self.line + newlines
        col = pos - before.rfind("\n") if newlines else self.column + pos + 1
        return DatasetError(
            [
                Problem(
                    "",
                    "",
                    "",
                    f"JSON 格式错误：第 {line} 行第 {col} 列：{msg} "
                    f"(malformed JSON at line {line} column {col})",
                )
            ]
        )

    def _skip_ws(self) -> str:
        """Skip whitespace; the next character, or "" at the end of the file."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def _expect(self, chars: str, what: str) -> str:
        c = self._skip_ws()
        if not c or c not in chars:
            raise self._error(f"应为 {what}", self.pos)
        self.pos += 1
        return c

    # ------------------------------------------------------------ values

    def _value(self) -> Any:
        """Parse the value at pos (whitespace skipped); pos moves past it."""
        while True:
            buf, pos = self.buf, self.pos
            if buf.startswith("{", pos):
                # Fast path: a record alone on its line.
                nl = buf.find("\n", pos)
                if nl >= 0:
                    end = nl
                    while end > pos and buf[end - 1] in " \t\r":
                        end -= 1
                    if end > pos and buf[end - 1] == ",":
                        end -= 1
                    if buf[end - 1] == "}":
                        try:
                            value = orjson.loads(buf[pos:end])
                        except orjson.JSONDecodeError:
                            pass
                        else:
                            self.pos = end
                            return value
            try:
                value, end = _DECODER.raw_decode(buf, pos)
            except json.JSONDecodeError as exc:
                # Cut off by the window's end: read on and try again.
                near_end = exc.pos >= len(buf) - 8 or exc.msg.startswith("Unterminated")
                if near_end and self._more():
                    continue
                # (the window may have moved: the value starts at self.pos now)
                raise self._error(exc.msg, self.pos + exc.pos - pos) from exc
            except ValueError as exc:  # NaN, Infinity
                raise self._error(str(exc), self.pos) from exc
            if end >= len(buf) and self._more():
                continue  # a number may go on in the next chunk
            self.pos = end
            return value

    def _items(self) -> Iterator[Any]:
        self.pos += 1  # "["
        if self._skip_ws() == "]":
            self.pos += 1
            return
        sep = _SEP.match
        while True:
            if not self._skip_ws():
                raise self._error("数组未结束", self.pos)
            yield self._value()
            while True:
                # Fastest path: whole lines of one record each, already in the buffer.
                if self.buf.startswith(",\n{", self.pos):
                    yield from self._lines()
                # Fast path: a comma and the next value, already in the buffer.
                m = sep(self.buf, self.pos)
                if m is None:
                    break
                self.pos = m.end()
                yield self._value()
            if self._expect(",]", "，或 ]") == "]":
                return

    def _lines(self) -> Iterator[Any]:
        """Records one a line, each line `{…},` (as `generate` and `export` write them).

        Called with pos on the comma after a value and a newline after it; takes the
        buffer's complete lines while each is a record (the fast path of `_value`
        line by line, without a call per record) and leaves pos on the comma after the
        last one taken. Anything else (the list's last record, a line cut by the
        buffer's end, a record over several lines) is left to the general path.
        """
        buf = self.buf
        start = self.pos + 2
        last = buf.rfind("\n", start)
        if last < 0:
            return
        loads, error = orjson.loads, orjson.JSONDecodeError
        for line in buf[start:last].split("\n"):
            core = line.rstrip(" \t\r")
            if not (core.startswith("{") and core.endswith("},")):
                return
            try:
                value = loads(core[:-1])
            except error:
                return
            self.pos = start + len(core) - 1
            yield value
            start += len(line) + 1

    def document(self) -> Iterator[tuple[str, Any]]:
        self._expect("{", "{")
        if self._skip_ws() == "}":
            self.pos += 1
        else:
            while True:
                if self._skip_ws() != '"':
                    raise self._error("Expecting property name enclosed in double quotes", self.pos)
                key = self._value()
                self._expect(":", ":")
                c = self._skip_ws()
                if not c:
                    raise self._error("Expecting value", self.pos)
                if c == "[" and key in LISTS:
                    items = self._items()
                    yield key, items
                    for _ in items:  # whatever the caller left
                        pass
                else:
                    yield key, self._value()
                if self._expect(",}", "，或 }") == "}":
                    break
        if self._skip_ws():
            raise self._error("Extra data", self.pos)
