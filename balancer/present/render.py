"""The one Jinja2 environment behind every Markdown and HTML output.

Autoescape is on for every template, so a hostile name in a pool is text wherever it lands;
layers above register the filters their own templates need on :data:`ENV`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

import jinja2
from markupsafe import Markup

from balancer.spec.labels import NONE, Labels


@jinja2.pass_environment
def _cell(environment: jinja2.Environment, value: object) -> str:
    """Text safe inside a Markdown table cell (autoescape has already handled HTML).

    Under :data:`MD_ENV` the finalizer escapes ``|`` with every other Markdown special, so
    the cell is escaped once, there, and marked as done.
    """
    if environment.finalize is markdown_text:
        return Markup(markdown_text(value))
    return str(value).replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def number(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "\u2013"  # an en dash: "no value"
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return text if text not in {"", "-0"} else "0"


ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("balancer.present", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)


class _Columned(Protocol):
    @property
    def column(self) -> str: ...


_Row = TypeVar("_Row", bound=_Columned)


def _by_column(rows: Iterable[_Row]) -> list[tuple[str, list[_Row]]]:
    """Rows grouped by column, in the order the columns first appear (unlike ``groupby``)."""
    groups: dict[str, list[_Row]] = {}
    for row in rows:
        groups.setdefault(row.column, []).append(row)
    return list(groups.items())


def _percent(value: float | None) -> str:
    return "\u2013" if value is None else f"{value * 100:.0f}%"


# Filters any template may use are registered here, with the environment, so a template
# renders the same whichever modules happen to be imported (the audit once failed in a fresh
# process because its filter was registered by the selection report's module).
ENV.filters["cell"] = _cell
ENV.filters["num"] = number
ENV.filters["by_column"] = _by_column
ENV.filters["percent"] = _percent


def labels_of(context: jinja2.runtime.Context) -> Labels:
    """The labels a template renders with: its ``labels``, or those of its ``report``."""
    given = context.get("labels")
    if isinstance(given, Labels):
        return given
    report = context.get("report")
    entries = getattr(report, "labels", None)
    return Labels.of(entries) if entries else NONE


@jinja2.pass_context
def _column_label(context: jinja2.runtime.Context, column: object) -> str:
    """``{{ column | label }}``: the column as a reader should meet it (``labels:``)."""
    return labels_of(context).column(str(column))


@jinja2.pass_context
def _value_label(context: jinja2.runtime.Context, value: object, column: object) -> str:
    """``{{ value | said(column) }}``: a value of ``column`` as a reader should meet it."""
    return labels_of(context).value(str(column), str(value))


ENV.filters["label"] = _column_label
ENV.filters["said"] = _value_label


_MARKDOWN_SPECIAL = "\\`*_[]<>|#&!"


def markdown_text(value: object) -> str:
    """Text that Markdown shows as typed: specials backslash-escaped, lines joined.

    The finalizer of :data:`MD_ENV`: a name such as ``<b>Ann & Bob_</b>`` shows as typed in
    a Markdown viewer, without HTML entities (``&amp;``) that a Markdown file would show raw.
    :class:`markupsafe.Markup` (a code span built by the ``code`` filter) passes unchanged.
    """
    if isinstance(value, Markup):
        return str(value)
    text = str(value).replace("\r", " ").replace("\n", " ")
    out = []
    for i, c in enumerate(text):
        # An underscore inside a word (un_region) never starts emphasis: left as typed.
        inside = c == "_" and 0 < i < len(text) - 1 and text[i - 1].isalnum()
        inside = inside and text[i + 1].isalnum()
        out.append("\\" + c if c in _MARKDOWN_SPECIAL and not inside else c)
    return "".join(out)


def _code(value: object) -> Markup:
    """A Markdown code span (backticks inside become quotes: nothing can close it early)."""
    text = str(value).replace("`", "'").replace("\n", " ").replace("|", "\\|")
    return Markup("`" + text + "`")


MD_ENV = ENV.overlay(autoescape=False, finalize=markdown_text)
"""The same templates for Markdown files: text escaped as Markdown, not as HTML."""
MD_ENV.filters["code"] = _code


def render_markdown_file(template_name: str, **context: object) -> str:
    """A Markdown template rendered with Markdown escaping (see :func:`markdown_text`)."""
    return MD_ENV.get_template(template_name).render(**context)


TEXT_ENV = ENV.overlay(autoescape=False, cache_size=50)
"""The same templates and filters without autoescape: Markdown shown in the terminal only."""


def render(template_name: str, **context: object) -> str:
    """Render a template of ``balancer/present/templates`` with autoescape and these filters.

    Every Markdown and HTML rendering goes through this one environment, so data is escaped
    the same way everywhere; only :class:`markupsafe.Markup` (escaped SVG charts, lines built
    with ``Markup.format``) is inserted as is.
    """
    return ENV.get_template(template_name).render(**context)


def render_text(template_name: str, **context: object) -> str:
    """A Markdown template as plain text for the terminal (never for a file or a browser)."""
    return TEXT_ENV.get_template(template_name).render(**context)
