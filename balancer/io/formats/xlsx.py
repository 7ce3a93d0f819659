"""Reading an XLSX sheet as text, never running anything in it.

A formula is read as the text of the formula (``=SUM(A1:A3)``), not as the value some earlier
Excel computed and cached: balancer never evaluates a cell, and a cached value may be stale.
Merged header cells are refused with their address, since a merged header names several
columns at once and which one it means is a guess.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from balancer.io.formats import text as text_format
from balancer.spec.errors import InputError, Problem


def read_sheet(
    file: Path, sheet: str | None, header_row: int = 1
) -> tuple[pd.DataFrame, list[str]]:
    """The sheet's cells as text (header from ``header_row``), and notes on formulas found.

    A title above the header (row 1 mostly empty, a later row filling every column) is
    reported in one line naming the header's row, instead of a problem per unnamed column.
    """
    import openpyxl  # only XLSX pools need it

    source = str(file)
    try:
        book = openpyxl.load_workbook(file, data_only=False, read_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InputError(
            [Problem(source, "", f"cannot read as XLSX: {exc}", "re-save it from Excel")]
        ) from None
    if sheet is not None and sheet not in book.sheetnames:
        raise InputError(
            [
                Problem(
                    source,
                    f"sheet '{sheet}'",
                    "no such sheet",
                    "sheets are: " + ", ".join(f"'{n}'" for n in book.sheetnames),
                )
            ]
        )
    worksheet = book[sheet] if sheet is not None else book.worksheets[0]
    rows = [
        ["" if v is None else str(v) for v in row] for row in worksheet.iter_rows(values_only=True)
    ]
    if not rows:
        raise InputError([Problem(source, "", "the pool sheet is empty")])
    if header_row == 1 and any(not cell.strip() for cell in rows[0]):
        guess = text_format.header_guess(rows)
        if guess is not None:
            raise text_format.TitleRow(source, guess)
    if header_row > len(rows):
        raise InputError(
            [
                Problem(
                    source,
                    f"header_row {header_row}",
                    f"the sheet has {len(rows)} row(s)",
                    "give the row of the column names",
                )
            ]
        )
    problems = [
        Problem(
            source,
            f"cells {merged.coord}",
            "a merged header cell",
            f"unmerge it and give each column its own header in row {header_row}",
        )
        for merged in worksheet.merged_cells.ranges
        if merged.min_row <= header_row <= merged.max_row
    ]
    if problems:
        raise InputError(problems)
    rows = rows[header_row - 1 :]
    width = max(len(r) for r in rows)
    header, body = rows[0] + [""] * (width - len(rows[0])), rows[1:]
    # Trailing columns with neither header nor cells are formatting, not data.
    while (
        width
        and not header[width - 1].strip()
        and all(len(r) < width or not r[width - 1].strip() for r in body)
    ):
        width -= 1
    body = [(r + [""] * width)[:width] for r in body]
    frame = pd.DataFrame(body, columns=header[:width], dtype=str)
    formulas = sum(cell.startswith("=") for r in body for cell in r)
    notes = []
    if formulas:
        notes.append(
            f"{source}: {formulas} cell(s) hold formulas; they are read as the formula's text, "
            "never evaluated (paste values in Excel if you meant the results)"
        )
    return frame, notes
