"""The shortcuts of the million-row read give exactly what the plain code gave.

Each shortcut skips work when it can tell the work changes nothing (trimming cells that have
no whitespace at their ends, copying a file to split off its first lines, building every
name when a report names a dozen people). These tests compare each with the plain operation
on inputs made to hit its edges, so a shortcut that changes an answer fails here.
"""

from __future__ import annotations

import hashlib
from io import BytesIO
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from balancer import api
from balancer.io import files
from balancer.io.files import ARROW_FROM_BYTES, _edges_plain, read_csv_arrow, read_pool, trimmed
from balancer.io.formats.text import _split
from balancer.selection.run import named_people
from balancer.spec import tickets

# Every kind of character trimming treats differently: ASCII and Unicode whitespace, control
# characters that Arrow counts as whitespace (0x1c-0x1f), DEL, accents, a no-break space.
EDGY = "ab é\t\n\r\x0b\x0c\x1c\x1f\x7f\x85\xa0\u2003\u3000,"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=EDGY, max_size=5), min_size=0, max_size=30))
def test_trimmed_equals_strip(cells: list[str]) -> None:
    series = pd.Series(cells, dtype="str")
    expected = series.str.strip()
    pd.testing.assert_series_equal(trimmed(series), expected)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet=EDGY, max_size=5), min_size=1, max_size=30), st.data())
def test_trimmed_on_slices_of_a_column(cells: list[str], data: st.DataObject) -> None:
    """A slice of an Arrow column has an offset into its buffers; the check must follow it."""
    start = data.draw(st.integers(0, len(cells) - 1))
    series = pd.Series(cells, dtype="str").iloc[start:]
    pd.testing.assert_series_equal(trimmed(series), series.str.strip())


def test_whitespace_at_either_end_is_seen() -> None:
    """The check itself can fail: a space, a tab or a no-break space at one end is found."""
    for dirty in (" a", "a ", "a\t", "\u00a0a", "a\u3000"):
        column = pd.Series(["x", "yy", dirty, "z"], dtype="str")
        assert not _edges_plain(column)
        assert trimmed(column).tolist() == ["x", "yy", dirty.strip(), "z"]
    assert _edges_plain(pd.Series(["x", "", "a b", "c"], dtype="str"))
    # Missing values or another storage: trimmed the plain way.
    assert not _edges_plain(pd.Series(["x", None], dtype="str"))
    assert not _edges_plain(pd.Series(["x", "y"], dtype=object))
    assert trimmed(pd.Series([" x", None], dtype=object)).tolist()[0] == "x"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="a,\n\r ", max_size=40), st.integers(0, 12))
def test_split_is_str_split(text: str, maxsplit: int) -> None:
    assert list(_split(text, maxsplit)) == text.split("\n", maxsplit)


def test_names_of_members_and_of_others(tmp_path: Path) -> None:
    """Members' names come at once; anyone else's as the whole pool's dict gives them."""
    pool = tmp_path / "pool.csv"
    rows = ["id,name,gender"] + [f"p{i},Name {i},{'woman' if i % 2 else 'man'}" for i in range(9)]
    pool.write_text("\n".join(rows) + "\n", encoding="utf-8")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "name: names\nboard_size: 4\npool: pool.csv\nquotas:\n  gender:\n    woman:\n"
        "      min: 2\nseed: 3\n",
        encoding="utf-8",
    )
    result = api.select(scenario, explain_board=False)
    names = named_people(result)
    table = result.problem.pool.table
    expected = dict(zip(table["id"].tolist(), table["name"].tolist(), strict=True))
    members = [str(table["id"].iat[r]) for r in result.solution.rows]
    assert bool(names)
    assert {m: names[m] for m in members} == {m: expected[m] for m in members}
    outsider = next(i for i in expected if i not in members)
    assert names.get(outsider) == expected[outsider]
    assert names.get("nobody") is None
    with pytest.raises(KeyError):
        names["nobody"]
    assert dict(names) == expected
    assert len(names) == len(expected)


# Pieces of CSV text that the two parsers could read differently: quotes opening, closing,
# doubled, left open or inside a cell, blank and space-only lines, CRLF and lone CR line ends,
# separators, accents, a no-break space, a vertical tab.
PIECES = ["a", "b", "{d}", "\n", "\r\n", "\r", " ", "\t", '"', '""', "é", "\xa0", "\x0b", "\n\n"]
HEADERS = [
    "id{d}x\n",
    "id{d}x{d}y\r\n",
    '"id"{d} name \n',
    "a{d}a\n",
    "a{d}\n",
    '"i\nd"{d}"x""y"\n',
    "solo\n",
]


def _pandas(data: bytes, delimiter: str) -> pd.DataFrame:
    """The table as :func:`balancer.io.files._read_csv` has pandas read it."""
    return pd.read_csv(
        BytesIO(data),
        encoding="utf-8",
        sep=delimiter,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=True,
    )


@settings(max_examples=1500, deadline=None)
@given(
    st.sampled_from([",", ";", "\t", "|"]),
    st.sampled_from(HEADERS),
    st.lists(st.sampled_from(PIECES), max_size=40),
)
def test_arrow_reads_what_pandas_reads(delimiter: str, header: str, pieces: list[str]) -> None:
    """Arrow's table equals pandas' whenever it gives one (and never when pandas refuses)."""
    data = (header + "".join(pieces)).replace("{d}", delimiter).encode("utf-8")
    got = read_csv_arrow(data, delimiter)
    if got is None:
        return
    expected = _pandas(data, delimiter)  # raises (fails the test) where pandas refuses the file
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize(
    ("text", "taken"),
    [
        ('id,name\na,"Doe, Jane"\r\nb,Bo\n', True),
        ("id,name\na,Ana\n\nb,Bo", True),
        ('id,name\na,"Doe, Jane\n', False),  # a quote left open: pandas refuses the file
        ('id,name\na,"Say ""hi"""\n', False),  # a quote kept in a cell
        # A quote inside a cell, then one left open: an even count, and pandas refuses the file.
        ('id,name\na","b\n', False),
        ("id,name\na,Ana\rb,Bo\n", False),  # a lone carriage return
        ("id,name\na,Ana\n  \nb,Bo\n", False),  # a line of spaces, which pandas skips
        ("id,name,\na,Ana,\n", False),  # a column without a header
        ("id,name\na,Ana,extra\n", False),  # a row wider than the header
        ("id,name\n", False),  # no rows
    ],
)
def test_arrow_declines_where_the_parsers_differ(text: str, taken: bool) -> None:
    data = text.encode("utf-8")
    got = read_csv_arrow(data, ",")
    assert (got is not None) == taken
    if got is not None:
        pd.testing.assert_frame_equal(got, _pandas(data, ","))


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_large_pool_reads_the_same_by_either_parser(
    tmp_path: Path, bom: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above the size where Arrow reads, read_pool's table is the one pandas gives, with or
    without the byte-order mark of Excel's "CSV UTF-8"."""
    rows = ["id,name,organisation,gender"]
    rows += [
        f'c{i:06d},"Name {i}, Jr",Org {i % 97} ,{("woman", "man", "")[i % 3]}'
        for i in range(30_000)
    ]
    text = "\r\n".join(rows) + "\r\n"
    assert len(text) > ARROW_FROM_BYTES
    path = tmp_path / "pool.csv"
    path.write_bytes(bom + text.encode("utf-8"))
    taken: list[bool] = []

    def arrow(data: bytes, delimiter: str) -> pd.DataFrame | None:
        table = read_csv_arrow(data, delimiter)
        taken.append(table is not None)
        return table

    monkeypatch.setattr(files, "read_csv_arrow", arrow)
    table = read_pool(path).table
    assert taken == [True]  # this pool took the Arrow route
    monkeypatch.setattr(files, "ARROW_FROM_BYTES", len(text) * 2)
    by_pandas = read_pool(path).table
    assert taken == [True]  # and this time pandas read it
    pd.testing.assert_frame_equal(table, by_pandas)
    assert table["organisation"].iat[5] == "Org 5"  # trimmed after reading, as ever
    assert table["name"].iat[5] == "Name 5, Jr"


@settings(max_examples=200, deadline=None)
@given(st.integers(-(2**70), 2**70), st.lists(st.text(max_size=30), max_size=20))
def test_tickets_are_standard_sha256(seed: int, ids: list[str]) -> None:
    """Tickets are hashed by Python's own SHA-256 where it has one; hashlib's (OpenSSL's)
    must give every published ticket the same."""
    expected = b"".join(hashlib.sha256(f"{seed}:{i}".encode()).digest() for i in ids)
    assert tickets.digests(seed, ids) == expected


def test_a_ticket_as_published() -> None:
    """The ticket of c0000001 under seed 0, as `printf 0:c0000001 | sha256sum` prints it."""
    assert tickets.ticket(0, "c0000001") == int(
        "b7772836bc8a9fdfd187ee14cf45b1206cd0b165e42eb755286f830948baca90", 16
    )
