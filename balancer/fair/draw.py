"""The public draw: which of the M published boards a public random number picks.

The board number is ``int(SHA-256(text)) mod M + 1``, where ``text`` is the public string
(say, the lottery result of a given day) in UTF-8, and the digest is read as one big-endian
256-bit number. Anyone can recompute it, e.g. ``python -c "import hashlib;
print(int(hashlib.sha256(b'...').hexdigest(), 16) % 1000 + 1)"``. The reduction mod M has a
bias below ``M / 2**256``, which is nothing.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ValidationError

from balancer.io.files import unneutralise_cell
from balancer.io.provenance import Provenance
from balancer.spec.criteria import Commitment

# Raised here; defined with balancer's other errors (one base class, one exit table).
from balancer.spec.errors import TamperedError as TamperedError

BOARDS_FILE = "boards.csv"
RECORD_FILE = "lottery.json"
PROBABILITIES_FILE = "probabilities.csv"


class FairnessFigures(BaseModel):
    """How fair the distribution is, over every candidate in the pool."""

    minimum: float
    geometric_mean: float  # over candidates with a positive probability
    gini: float
    share_below_fair: float  # candidates below board_size / pool size
    fair_share: float


class SupportBoard(BaseModel):
    """A composition in the support: seats per profile, and its weight."""

    weight: float
    boards_in_lottery: int
    seats: dict[str, int]  # profile label -> seats


class LotteryRecord(BaseModel):
    """``lottery.json``: everything needed to re-derive and check the draw."""

    scenario: str
    rule: str
    board_size: int
    candidates: int
    boards: int
    boards_sha256: str
    draw_rule: str = "board number = int(SHA-256(UTF-8 text)) mod boards + 1"
    exact: FairnessFigures
    lottery: FairnessFigures
    rounding_bound: float
    rounding_worst_loss: float
    gap_limit: list[int] | None = None
    nash_certificate: float | None = None
    support: list[SupportBoard]
    profiles: dict[str, float]  # profile label -> per-person probability
    unreachable: dict[str, str]  # candidate id -> why they are in no allowed board
    seconds: float
    public: bool = False  # the variant meant for publication: no profile strings
    provenance: Provenance | None = None  # None only in files written before it was recorded
    # The criteria and pool the lottery was computed under, as `balancer criteria` commits to
    # them (None only in files written before it was recorded); the list's own commitment is
    # ``boards_sha256``, published before the seed text is known.
    commitment: Commitment | None = None


def board_number(text: str, boards: int) -> int:
    """The board (1..boards) that a public text picks."""
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16) % boards + 1


def read_boards(data: str) -> dict[int, list[str]]:
    """Board number -> member ids, from ``boards.csv`` (formula-like ids without their ``'``)."""
    table = pd.read_csv(io.StringIO(data), dtype=str, keep_default_na=False)
    result: dict[int, list[str]] = {}
    for record in table.to_dict("records"):
        number = int(record.pop("board"))
        result[number] = [unneutralise_cell(str(v)) for v in record.values() if str(v) != ""]
    return result


def read_record(path: Path) -> LotteryRecord:
    """The lottery record, or a ValueError in one line naming the file and its first fault.

    A damaged or hand-edited record otherwise surfaced as pydantic's dump of every field, which
    never said which file it was about.
    """
    try:
        return LotteryRecord.model_validate_json(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        reason = "not UTF-8 text"
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        reason = f"{where + ': ' if where else ''}{first['msg']}"
        if exc.error_count() > 1:
            reason += f" (and {exc.error_count() - 1} more)"
    raise ValueError(
        f"{path} is not a lottery record balancer wrote ({reason}); publish the {RECORD_FILE} "
        f"written with {BOARDS_FILE}"
    )


def verify(folder: Path, number: int, committed: str | None = None) -> list[str]:
    """The members of board ``number``, after checking the published files against each other.

    Checks: ``boards.csv`` has the digest ``lottery.json`` records; there are exactly
    ``boards`` boards numbered 1..M of ``board_size`` distinct candidates each; and every
    candidate is seated in exactly (published lottery probability x M) boards. A list edited
    after publication fails at least the digest; a list edited together with the digest
    fails the counts unless the probabilities were edited too, and a list edited with both
    fails ``committed``, the digest of ``boards.csv`` published before the seed text was known.
    """
    data = (folder / BOARDS_FILE).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if committed is not None and digest != committed.strip().lower():
        # The two files agree with each other, which a forger can arrange (edit the list,
        # recompute the digest in lottery.json); only a digest published before the seed text
        # was known pins the list.
        raise TamperedError(
            f"{BOARDS_FILE} has SHA-256 {digest}, not the committed {committed.strip()}"
        )
    record = read_record(folder / RECORD_FILE)
    if digest != record.boards_sha256:
        raise TamperedError(f"{BOARDS_FILE} does not match the digest in {RECORD_FILE}")
    boards = read_boards(data.decode("utf-8"))
    if sorted(boards) != list(range(1, record.boards + 1)):
        raise TamperedError(f"{BOARDS_FILE} does not number its boards 1..{record.boards}")
    seated: dict[str, int] = {}
    for n, members in boards.items():
        if len(members) != record.board_size or len(set(members)) != len(members):
            raise TamperedError(f"board {n} does not have {record.board_size} distinct members")
        for member in members:
            seated[member] = seated.get(member, 0) + 1
    table = pd.read_csv(folder / PROBABILITIES_FILE, dtype=str, keep_default_na=False)
    ids = table["id"].map(unneutralise_cell)
    published = dict(zip(ids, table["lottery_probability"].astype(float), strict=True))
    for member in seated.keys() | published.keys():
        expected = round(published.get(member, -1.0) * record.boards)
        if seated.get(member, 0) != expected:
            raise TamperedError(
                f"candidate {member} is on {seated.get(member, 0)} boards, "
                f"the published probability says {expected}"
            )
    if not 1 <= number <= record.boards:
        raise ValueError(f"the board number must be 1..{record.boards}")
    return boards[number]
