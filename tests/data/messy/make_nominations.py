"""Write nominations.xlsx: a nomination export as a convener gets it (run to regenerate).

    .venv/bin/python tests/data/messy/make_nominations.py

The sheet has the convener's own headers (mapped by ``columns:`` in messy.yaml), genders and
stakeholder groups spelt several ways (``aliases:``), one country spelt two ways (UK and
United Kingdom), stakeholder groups several to a cell (``multi:``), empty disability cells
(``missing: unknown``), one nominee with no gender (``missing: exclude``), countries from which
the regions are derived (``derive:``), and repeated countries and organisations (``caps:``).
The ex officio chair's id starts with ``-``, so balancer's CSVs write it as ``'-EX1`` (a
spreadsheet would run ``-EX1`` as a formula) and every roster reader must read it back.
All people are fictional.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl

HEADERS = [
    "Nominee ID",
    "Full name",
    "Country of residence",
    "Gender",
    "Disability",
    "Stakeholder group(s)",
    "Organisation",
    "Email",
]

ROWS = [
    ("-EX1", "Ama Mensah", "Ghana", "F", "no", "Gov", "Ministry of Communications"),
    ("N01", "Rahul Iyer", "India", "M", "no", "Tech community", "Internet Society India"),
    ("N02", "Laisa Vuki", "Fiji", "female", "yes", "CSO", "Pacific Digital Rights"),
    ("N03", "Tom Baker", "UK", "male", "", "Private", "Open Data Institute"),
    ("N04", "Jane Holt", "United Kingdom", "F", "no", "CSO; Academia", "Open Data Institute"),
    ("N05", "Olu Ade", "Nigeria", "M", "no", "Gov", "Nigerian Communications Commission"),
    ("N06", "Wanjiru Kamau", "Kenya", "Woman", "yes", "CSO", "KICTANet"),
    ("N07", "Marta Nowak", "Poland", "F", "no", "Academia", "University of Warsaw"),
    ("N08", "Olena Sydor", "Ukraine", "female", "no", "CSO; Tech community", "DSLab"),
    ("N09", "Ana Souza", "Brazil", "F", "", "Academia", "FGV"),
    ("N10", "Devon Reid", "Jamaica", "M", "no", "Private", "Caribbean Telecom"),
    ("N11", "Sina Tuala", "Samoa", "F", "no", "Gov", "Ministry of ICT Samoa"),
    ("N12", "Klaus Weber", "Germany", "male", "no", "Tech community", "DENIC"),
    ("N13", "Marie Dubois", "France", "F", "yes", "Gov", "ARCEP"),
    ("N14", "Camila Rojas", "Chile", "female", "no", "CSO", "Derechos Digitales"),
    ("N15", "José López", "Mexico", "M", "no", "Private", "Telmex"),
    ("N16", "Nguyen Thi Lan", "Viet Nam", "F", "no", "Tech community", "VNNIC"),
    ("N17", "Amal Hassan", "Egypt", "F", "no", "Academia", "Cairo University"),
    ("N18", "Sipho Ndlovu", "South Africa", "male", "yes", "Private", "MTN"),
    ("N19", "Priya Seebaluck", "Mauritius", "F", "no", "Tech community", "AFRINIC"),
    ("N20", "Ion Popescu", "Romania", "M", "no", "Gov", "ANCOM"),
    ("N21", "Nino Beridze", "Georgia", "F", "", "CSO", "IDFI"),
    ("N22", "Keisha Best", "Barbados", "female", "no", "CSO; Gov", "Barbados ICT Forum"),
    ("N23", "Luis Paredes", "Peru", "M", "yes", "Academia", "PUCP"),
    ("N24", "Sofia Gómez", "Colombia", "F", "no", "Private", "Claro Colombia"),
    ("N25", "Emma Lavoie", "Canada", "F", "no", "Academia; Tech community", "CIRA"),
    ("N26", "Erik Svensson", "Sweden", "M", "no", "CSO", "Open Data Institute"),
    ("N27", "Maria Cruz", "Philippines", "F", "yes", "Private", "Globe Telecom"),
    ("N28", "Hiro Tanaka", "Japan", "M", "no", "Private", "NTT"),
    ("N29", "Bishnu Poudel", "Nepal", "M", "no", "Tech community", "Nepal Internet Exchange"),
    ("N30", "Aya Kouassi", "Côte d'Ivoire", "F", "no", "Gov", "ARTCI"),
    ("N31", "Dewi Sari", "Indonesia", "female", "no", "CSO", "ICT Watch"),
    ("N32", "Pablo Ruiz", "Argentina", "M", "no", "Academia", "UBA"),
    ("N33", "Fatuma Odhiambo", "Kenya", "F", "no", "Private", "Safaricom"),
    ("N34", "Sam Carter", "United Kingdom", "", "no", "Tech community", "Nominet"),
    ("N35", "Grace Adebayo", "Nigeria", "female", "no", "Academia; CSO", "Paradigm Initiative"),
]


def main(folder: Path) -> Path:
    """Write the workbook (sheet ``Nominations``, after a cover sheet a convener might keep)."""
    book = openpyxl.Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "Read me"
    cover.append(["Nominations exported from the call for nominations form"])
    sheet = book.create_sheet("Nominations")
    sheet.append(HEADERS)
    for row in ROWS:
        email = row[1].split()[0].lower() + "@example.org"
        sheet.append([*row, email])
    path = folder / "nominations.xlsx"
    book.save(path)
    return path


if __name__ == "__main__":
    print(main(Path(__file__).resolve().parent))
