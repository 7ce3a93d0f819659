"""Write messy.xlsx: a convener's export as it comes (fictional people, no real ones).

Own headers, a title-less sheet with a blank row, two spellings of several countries (Kenya /
KEN, Viet Nam / Vietnam, Côte d'Ivoire / Ivory Coast), gender in five spellings, blank
disability and gender cells, stakeholder groups several per cell, organisations repeated (for a
cap), and one hostile name that must stay text in every page. Run:
python tests/data/app/make_messy.py
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

HEADERS = [
    "Candidate ID",
    "Full name",
    "Country of residence",
    "Stakeholder group(s)",
    "Gender",
    "Disability?",
    "Organisation",
]
COUNTRIES = [
    "Kenya",
    "KEN",
    "Nigeria",
    "Viet Nam",
    "Vietnam",
    "Brazil",
    "brazil",
    "Côte d'Ivoire",
    "Ivory Coast",
    "Fiji",
    "France",
    "Germany",
    "India",
    "Japan",
    "Chile",
    "Peru",
    "Egypt",
    "Poland",
    "Ukraine",
    "Jamaica",
    "Samoa",
    "Canada",
    "Ghana",
    "Mexico",
]
GROUPS = [
    "Civil Society",
    "civil society ; Academia",
    "Private Sector",
    "Government",
    "Technical Community",
    "Academia",
    "Civil Society;Technical Community",
    "private sector",
]
GENDERS = ["F", "female", "Woman", "M", "male", "Man", "", "non-binary"]
DISABILITY = ["no", "No", "yes", "", "n", "Y", "no", "no"]


def rows() -> list[list[str]]:
    out = []
    for i in range(36):
        name = f"Person {i + 1:02d}"
        if i == 7:
            name = '<img src=x onerror="alert(1)"> Mallory'
        out.append(
            [
                f"P-{i + 1:03d}",
                name,
                COUNTRIES[i % len(COUNTRIES)],
                GROUPS[i % len(GROUPS)],
                GENDERS[(i * 3) % len(GENDERS)],
                DISABILITY[(i * 5) % len(DISABILITY)],
                f"Organisation {i % 30 + 1}",
            ]
        )
    return out


def main() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Applicants"
    sheet.append(HEADERS)
    for number, row in enumerate(rows()):
        if number == 20:
            sheet.append([None] * len(HEADERS))  # a formatted blank row, as exports have
        sheet.append(row)
    book.save(Path(__file__).with_name("messy.xlsx"))


if __name__ == "__main__":
    main()
