"""Decoding CSV bytes whatever saved them, and finding the delimiter.

Excel saves "CSV" as Windows-1252 in much of the world, as UTF-16 for "Unicode text", with
semicolons where the decimal mark is a comma, and with or without a byte-order mark. A convener
should not have to know which: BOMs are trusted, UTF-8 is tried next, and Windows-1252 (which
decodes any byte) is the last resort, with a warning, because it can be wrong.
"""

from __future__ import annotations

import codecs
import csv
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


def decode(data: bytes, source: str, encoding: str | None = None) -> Decoded:
    """Decode ``data`` (by ``encoding`` when given) and sniff its delimiter."""
    notes: list[str] = []
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
        if used:
            text = data.decode(used)
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
    return Decoded(text, used, sniff(text), tuple(notes))


def sniff(text: str) -> str:
    """The delimiter of the header line: the most frequent of , ; tab | outside quotes.

    Only the header is looked at: it is the one line without free text, and a comma inside a
    quoted name must not count.
    """
    first = next(csv.reader([text.split("\n", 1)[0]], delimiter="\x00"), [""])
    header = first[0] if first else ""
    counts = {d: _outside_quotes(header).count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _outside_quotes(line: str) -> str:
    kept, inside = [], False
    for char in line:
        if char == '"':
            inside = not inside
        elif not inside:
            kept.append(char)
    return "".join(kept)
