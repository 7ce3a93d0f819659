"""Every word the web app shows comes from one catalogue (balancer/app/strings.py).

A translation is one more mapping with the same keys, so a key used in a template or a handler
but missing from the catalogue, or text typed straight into a template, would stay English (or
fail) in every other language.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import balancer.app
from balancer.app.strings import ENGLISH, t

APP = Path(balancer.app.__file__).parent
KEY = re.compile(r"""\bt\(\s*["']([a-z_.]+)["']\s*[,)]""")  # whole keys, not "role." ~ r


def _used_keys() -> set[str]:
    keys = set()
    for path in [*APP.glob("*.py"), *(APP / "templates").glob("*.j2")]:
        keys |= set(KEY.findall(path.read_text(encoding="utf-8")))
    return keys


def test_every_key_used_is_in_the_catalogue() -> None:
    used = _used_keys()
    assert len(used) > 60
    assert sorted(used - set(ENGLISH)) == []


class _Text(HTMLParser):
    """Text outside Jinja expressions and tags: what a template says in its own words."""

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []

    def handle_data(self, data: str) -> None:
        if re.search(r"[A-Za-z]{3,}", data):
            self.words.append(data.strip())


def test_templates_hold_no_words_of_their_own() -> None:
    for path in (APP / "templates").glob("*.j2"):
        source = path.read_text(encoding="utf-8")
        bare = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", source, flags=re.S)
        parser = _Text()
        parser.feed(bare)
        assert parser.words == [], path.name


def test_parameters_are_filled_in() -> None:
    assert t("home.upload_note", limit=20) == (
        "A CSV or XLSX file, one row per person, at most 20 MB."
    )
