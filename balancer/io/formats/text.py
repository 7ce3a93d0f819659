"""Decoding CSV bytes whatever saved them, and finding the delimiter.

Excel saves "CSV" as Windows-1252 in much of the world, as UTF-16 for "Unicode text", with
semicolons where the decimal mark is a comma, and with or without a byte-order mark. A convener
should not have to know which: BOMs are trusted, UTF-8 is tried next, and Windows-1252 (which
decodes any byte) is the last resort, with a warning, because it can be wrong.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from balancer.spec.errors import InputError, Problem

DELIMITERS = (",", ";", "\t", "|")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class Decoded:
    """The text of a CSV file, how it was decoded, and the delimiter found."""

    text: str
    encoding: str
    delimiter: str
    notes: tuple[str, ...] = ()
    # Lines taken off the top before the CSV starts (Excel's "sep=;" line), for line numbers.
    skipped: int = 0


_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary Office formats (.xls, .doc)
_ZIP = b"PK\x03\x04"  # .xlsx, .ods and other zipped formats
_SEP_LINE = re.compile(r"sep=(.)[ \t]*\r?\n")
_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}


def _not_text(data: bytes, source: str) -> None:
    """Refuse, in one line naming the cause, the files that are not text at all.

    Decoded anyway (Windows-1252 decodes any byte), an old .xls file became a line of
    thousands of binary characters in a message that never said what the file was.
    """
    if data.startswith(_OLE2):
        raise InputError(
            [
                Problem(
                    source,
                    "",
                    "is an old Excel .xls workbook (binary), which balancer does not read",
                    "open it in Excel or LibreOffice and save it as .xlsx or as CSV UTF-8",
                )
            ]
        )
    if data.startswith(_ZIP):
        raise InputError(
            [
                Problem(
                    source,
                    "",
                    "is a zipped file (an .xlsx workbook?), not CSV text",
                    "give it the .xlsx extension if it is a workbook, or save it as CSV UTF-8",
                )
            ]
        )


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when every other byte is NUL, as in UTF-16 text.

    Excel's "Unicode text" and some exports write UTF-16 without a byte-order mark; read as
    UTF-8 its headers came out as "i d" with NULs between the letters.
    """
    sample = data[:4096]
    half = len(sample) // 2
    if half < 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 0.3 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def decode(data: bytes, source: str, encoding: str | None = None, header_row: int = 1) -> Decoded:
    """Decode ``data`` (by ``encoding`` when given) and sniff its delimiter."""
    notes: list[str] = []
    _not_text(data, source)
    if encoding:
        try:
            codecs.lookup(encoding)
            text = data.decode(encoding)
        except LookupError:
            raise InputError(
                [Problem(source, "encoding", f"unknown encoding '{encoding}'", "e.g. cp1252")]
            ) from None
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError(
                [Problem(source, f"line {line}", f"is not {encoding} text", "check encoding:")]
            ) from None
        used = encoding
    else:
        used = next((name for bom, name in _BOMS if data.startswith(bom)), "")
        wide = "" if used else _utf16_without_bom(data)
        if used:
            text = data.decode(used)
        elif wide:
            try:
                text, used = data.decode(wide), wide
            except UnicodeDecodeError:
                raise InputError(
                    [
                        Problem(
                            source,
                            "",
                            "looks like UTF-16 text without a byte-order mark, but does not "
                            "decode as such",
                            "save it as CSV UTF-8 (or set encoding: in the scenario)",
                        )
                    ]
                ) from None
            notes.append(
                f"{source}: read as UTF-16 ({'little' if wide.endswith('le') else 'big'}-endian, "
                "no byte-order mark); set encoding: in the scenario if the names look wrong"
            )
        else:
            try:
                text, used = data.decode("utf-8"), "utf-8"
            except UnicodeDecodeError as exc:
                line = data[: exc.start].count(b"\n") + 1
                try:
                    text, used = data.decode("cp1252"), "cp1252"
                except UnicodeDecodeError:
                    raise InputError(
                        [
                            Problem(
                                source,
                                f"line {line}",
                                "is neither UTF-8 nor Windows-1252 text",
                                "save the spreadsheet as 'CSV UTF-8' (or give the .xlsx file, "
                                "or set encoding: in the scenario)",
                            )
                        ]
                    ) from None
                notes.append(
                    f"{source}: not UTF-8 (first at line {line}); read as Windows-1252. Check "
                    "accented names in the roster, or set encoding: in the scenario"
                )
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        notes.append(
            f"{source}: {text.count(chr(0))} NUL character(s) removed (first on line {line}); "
            "a damaged export? Check the cells there"
        )
        text = text.replace("\x00", "")
    sep = _SEP_LINE.match(text)
    if sep and sep.group(1) in DELIMITERS:
        # Excel's "sep=;" line says the delimiter; Excel hides it, and so does balancer.
        text = text[sep.end() :]
        return Decoded(text, used, sep.group(1), tuple(notes), skipped=1)
    return Decoded(text, used, sniff(text, header_row), tuple(notes))


def _split(text: str, maxsplit: int) -> Iterator[str]:
    """The pieces of ``text.split("\n", maxsplit)``, lazily.

    Only the first lines are looked at, and the last piece of a split is the rest of the file:
    a million-row pool was copied whole, twice, to read its header.
    """
    start = 0
    for _ in range(maxsplit):
        end = text.find("\n", start)
        if end < 0:
            break
        yield text[start:end]
        start = end + 1
    yield text[start:]


def mixed_delimiters(text: str, delimiter: str, source: str, header_row: int = 1) -> None:
    """Refuse a header separated by one character and its rows by another.

    Pasted together from two programs, such a file reads as one column per row; what it needs
    is one separator, and saying so is shorter than the errors that follow.
    """
    pieces = itertools.islice(_split(text, header_row + 6), header_row - 1, None)
    lines = list(itertools.islice((line for line in pieces if line.strip()), 6))
    if len(lines) < 2:
        return
    header, rows = _outside_quotes(lines[0]), [_outside_quotes(r) for r in lines[1:6]]
    count = header.count(delimiter)
    if not count or any(delimiter in row for row in rows):
        return
    for other in DELIMITERS:
        if other != delimiter and all(row.count(other) == count for row in rows):
            raise InputError(
                [
                    Problem(
                        source,
                        f"line {header_row}",
                        f"the header is separated by {_NAMES[delimiter]} but the rows by "
                        f"{_NAMES[other]}",
                        f"use one separator: {_NAMES[other]} in the header too",
                    )
                ]
            )


def sniff(text: str, header_row: int = 1) -> str:
    """The delimiter of the header line: the most frequent of , ; tab | outside quotes.

    Only the header is looked at: it is the one line without free text, and a comma inside a
    quoted name must not count. A first line without any (a title above the header, typed in
    one cell) is passed over for the next of the first ten lines that has one, so the title
    can be recognised and reported rather than read as a one-column header.
    """
    lines = list(itertools.islice(_split(text, header_row + 10), header_row - 1, header_row + 9))
    for line in lines or [""]:
        first = next(csv.reader([line], delimiter="\x00"), [""])
        header = first[0] if first else ""
        counts = {d: _outside_quotes(header).count(d) for d in DELIMITERS}
        best = max(DELIMITERS, key=lambda d: counts[d])
        if counts[best]:
            return best
    return ","


def header_guess(rows: Sequence[Sequence[str]]) -> int | None:
    """The row (from 1) that looks like the header when row 1 looks like a title above it.

    A title row has at most half its cells filled (often one: "Nominations 2026" in A1) where
    a later row among the first ten fills every column with distinct words. Only asked when
    row 1 cannot be the header as it is (it has an empty cell), so a good header is never
    second-guessed.
    """
    rows = [[cell.strip() for cell in row] for row in rows[:10]]
    width = max((len(r) for r in rows), default=0)
    while width and all(len(r) < width or not r[width - 1] for r in rows):
        width -= 1  # trailing columns empty everywhere say nothing
    if width < 2 or not rows:
        return None
    title = sum(bool(cell) for cell in rows[0][:width])
    if title > width // 2:
        return None
    for number, row in enumerate(rows[1:], start=2):
        cells = (list(row) + [""] * width)[:width]
        if (
            all(cells)
            and len(set(cells)) == width
            and any(not c.replace(".", "").isdigit() for c in cells)
        ):
            return number
    return None


class TitleRow(InputError):
    """Row 1 looks like a title above the header, which seems to be row ``header_row``.

    Bad input like any other to the CLI (its one line says the fix, ``header_row``), but
    typed, so the web app can read on from the suggested row instead of sending a convener
    to edit a YAML key they never see.
    """

    def __init__(self, source: str, header_row: int) -> None:
        self.header_row = header_row
        super().__init__([title_problem(source, header_row)])


def title_problem(source: str, header: int) -> Problem:
    """The one line said for a title row, instead of a complaint per unnamed column."""
    return Problem(
        source,
        "row 1",
        f"looks like a title, not the header: the header seems to be row {header}",
        f"set `pool: {{header_row: {header}}}` (next to its path:) in the scenario, or delete "
        "the rows above the header (a roster has no such key)",
    )


def _outside_quotes(line: str) -> str:
    kept, inside = [], False
    for char in line:
        if char == '"':
            inside = not inside
        elif not inside:
            kept.append(char)
    return "".join(kept)
