"""Writes title.xlsx: the test pool under a merged title row, as conveners' exports have it.

Run from this folder: python make_title_xlsx.py
"""

import csv
from pathlib import Path

import openpyxl

rows = list(csv.reader(Path("../pool.csv").read_text().splitlines()))
book = openpyxl.Workbook()
sheet = book.worksheets[0]
sheet.append(["Nominations for the sounding board, May 2026"])
sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]))
for row in rows:
    sheet.append(row)
sheet.cell(row=5, column=len(rows[0]) + 3).value = " "  # a formatted, blank cell far right
book.save("title.xlsx")
