"""HTML sanitising for article bodies, and the plain text and hash derived from them.

Every piece of article HTML goes through :func:`sanitize_html` before it is stored or shown.
It is an explicit allow-list built on bleach 6.4.0 (its final release, pinned): anything not
listed is stripped, keeping its text, except for elements whose content is code, raw text or
foreign markup (``script``, ``style``, ``svg`` ...), which are dropped together with their
content first.

This module is pure Python: no Flask, no database.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import unicodedata
from html import unescape
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from xml.etree import ElementTree

import bleach
from bleach import html5lib_shim

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_PROTOCOLS",
    "ALLOWED_TAGS",
    "DROPPED_WITH_CONTENT",
    "EXTERNAL_LINK_REL",
    "content_hash",
    "html_to_text",
    "sanitize_html",
]

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "h1", "h2", "h3", "h4", "h5", "h6",
        "p", "br", "hr",
        "ul", "ol", "li",
        "strong", "b", "em", "i", "u", "s", "sub", "sup",
        "a", "img",
        "table", "thead", "tbody", "tfoot", "tr", "th", "td",
        "blockquote", "code", "pre", "figure", "figcaption",
    }
)  # fmt: skip

#: Attributes an author may set. ``rel`` on links is not among them: the sanitizer sets it.
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title"}),
    "img": frozenset({"src", "alt", "title", "width", "height"}),
    "th": frozenset({"colspan", "rowspan"}),
    "td": frozenset({"colspan", "rowspan"}),
}

#: URL schemes allowed in ``a[href]``; ``img[src]`` is narrower (http and https only).
ALLOWED_PROTOCOLS: frozenset[str] = frozenset({"http", "https", "mailto"})
IMAGE_PROTOCOLS: frozenset[str] = frozenset({"http", "https"})

#: Added to every link that leaves the site (absolute http(s) or scheme-relative ``//``).
EXTERNAL_LINK_REL = "nofollow noopener noreferrer"

#: Elements removed together with everything inside them, in any namespace. bleach's
#: ``strip=True`` would keep their inner text (script source, CSS, a textarea's markup ...)
#: as visible text. ``svg`` and ``math`` go whole: foreign content is the usual mXSS
#: playground and the editor never produces it.
DROPPED_WITH_CONTENT: frozenset[str] = frozenset(
    {
        "script", "style", "noscript", "template", "textarea", "title",
        "xmp", "plaintext", "noembed", "noframes", "iframe",
        "svg", "math",
    }
)  # fmt: skip

# C0 controls, space, DEL, C1 controls and NBSP, plus any other whitespace: browsers and
# URL parsers ignore or strip these, so an attacker can hide a scheme behind them.
_URL_JUNK_RE = re.compile(r"[`\x00-\x20\x7f-\xa0\s]+")


def _url_scheme(value: str) -> str | None:
    """Return the lower-case scheme a browser would see in ``value`` ("" if relative)."""
    normalized = _URL_JUNK_RE.sub("", unescape(value)).lower()
    # Drop other non-ASCII (zero-width and bidi characters ...) as bleach does.
    normalized = re.sub(r"[^\x00-\x7f]", "", normalized)
    try:
        return urlsplit(normalized).scheme
    except ValueError:
        return None


def _is_external_url(value: str) -> bool:
    normalized = _URL_JUNK_RE.sub("", unescape(value)).lower()
    return normalized.startswith("//") or _url_scheme(value) in IMAGE_PROTOCOLS


def _allow_img_attribute(tag: str, name: str, value: str) -> bool:
    if name not in ALLOWED_ATTRIBUTES["img"]:
        return False
    if name == "src":
        return _url_scheme(value) in IMAGE_PROTOCOLS
    return True


class _ExternalLinkRel(html5lib_shim.Filter):
    """Set ``rel`` on links to other sites; runs after bleach dropped any author ``rel``."""

    def __iter__(self) -> Iterator[dict]:
        for token in super().__iter__():
            if token["type"] == "StartTag" and token["name"] == "a" and token.get("data"):
                href = token["data"].get((None, "href"))
                if href is not None and _is_external_url(href):
                    token["data"][(None, "rel")] = EXTERNAL_LINK_REL
            yield token


# Pass 1 parses like a browser (html5lib, scripting enabled so <noscript> is raw text) and
# prunes the tree to allowed elements: DROPPED_WITH_CONTENT elements and comments go with
# their content, other elements are unwrapped. Pass 2, the bleach Cleaner, re-parses that
# and does the actual sanitising (allow-list, attributes, URL schemes); pass 1 only decides
# which text survives, so a quirk in it can at worst leave some harmless escaped text.
_CONTENT_PARSER = html5lib_shim.HTMLParser(namespaceHTMLElements=False)
_CONTENT_WALKER = html5lib_shim.getTreeWalker("etree")
_CONTENT_SERIALIZER = html5lib_shim.HTMLSerializer(
    quote_attr_values="always",
    # Always '"', so a '"' inside a value is written as &quot;. bleach 6.4.0's serializer
    # only handles entities in values quoted with '"': with the "best" quote (') it
    # escapes them a second time on every pass (&lt; -> &amp;lt;).
    quote_char='"',
    omit_optional_tags=False,
    escape_lt_in_attrs=True,
    sanitize=False,
    alphabetical_attributes=False,
)

_CLEANER = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes={
        "a": sorted(ALLOWED_ATTRIBUTES["a"]),
        "img": _allow_img_attribute,
        "th": sorted(ALLOWED_ATTRIBUTES["th"]),
        "td": sorted(ALLOWED_ATTRIBUTES["td"]),
    },
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[_ExternalLinkRel],
)

# bleach's Cleaner and html5lib's parser keep per-parse state and are not thread-safe
# ("Create a separate cleaner per thread!"). One lock keeps a single module-level pair
# correct under a threaded server. Both passes are pure-Python html5lib: roughly 10 ms per
# KB of ordinary article, and quadratic in the depth of unclosed nesting ("<b>" * 20000
# takes seconds, as it does in plain bleach), so keep request bodies small.
_LOCK = threading.Lock()
# Trimmed from both ends of the output: HTML whitespace, and the byte-order mark that
# pasted text drags in (parsers drop a leading one, so it would not even survive a re-parse).
_EDGE_JUNK = " \t\n\r\f\ufeff"


def _append_text(
    parent: ElementTree.Element, previous: ElementTree.Element | None, text: str
) -> None:
    """Append text at the slot after ``previous`` (or at the start of ``parent``)."""
    if previous is None:
        parent.text = (parent.text or "") + text
    else:
        previous.tail = (previous.tail or "") + text


def _prune(root: ElementTree.Element) -> None:
    """Reduce a parsed fragment to allowed elements, in place and without recursion.

    Comments and DROPPED_WITH_CONTENT elements go with their content; other disallowed
    elements are unwrapped (block-level ones leave a line break so words do not run
    together). Attributes are left for bleach.
    """
    stack = [root]
    while stack:
        parent = stack.pop()
        previous: ElementTree.Element | None = None
        index = 0
        while index < len(parent):
            child = parent[index]
            tag = child.tag
            name = tag.lower() if isinstance(tag, str) and not tag.startswith("{") else None
            if name in ALLOWED_TAGS:
                stack.append(child)
                previous = child
                index += 1
                continue
            parent.remove(child)
            local = tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else None
            if local is None or local in DROPPED_WITH_CONTENT:
                _append_text(parent, previous, child.tail or "")
                continue
            # Unwrap: splice the children in where the element was, then re-examine them.
            gap = "\n" if name in html5lib_shim.HTML_TAGS_BLOCK_LEVEL else ""
            _append_text(parent, previous, gap + (child.text or ""))
            grandchildren = list(child)
            for offset, grandchild in enumerate(grandchildren):
                parent.insert(index + offset, grandchild)
            if grandchildren:
                last = grandchildren[-1]
                last.tail = (last.tail or "") + gap + (child.tail or "")
            else:
                _append_text(parent, previous, gap + (child.tail or ""))
    # A browser drops one newline right after <pre>; strip them all so the output re-parses
    # to the same text and sanitizing stays idempotent.
    for pre in root.iter("pre"):
        if pre.text:
            pre.text = pre.text.lstrip("\n")


MAX_NESTING = 256
# Elements that never nest, or whose end tag may be left out without deepening the tree.
_FLAT_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
     "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "thead", "tbody",
     "tfoot", "rt", "rp", "optgroup", "colgroup", "caption"}
)  # fmt: skip


class HtmlTooComplex(ValueError):
    """Nesting so deep that parsing it would take a long time (html5lib is quadratic in it)."""


class _DepthProbe(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.depth = self.deepest = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag not in _FLAT_TAGS:
            self.depth += 1
            self.deepest = max(self.deepest, self.depth)

    def handle_startendtag(self, tag: str, attrs: object) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        if tag not in _FLAT_TAGS and self.depth > 0:
            self.depth -= 1


def check_nesting(html: str, limit: int = MAX_NESTING) -> None:
    """Raise HtmlTooComplex when elements nest deeper than `limit` (a linear-time scan)."""
    probe = _DepthProbe()
    probe.feed(html)
    probe.close()
    if probe.deepest > limit:
        raise HtmlTooComplex(f"HTML nests {probe.deepest} levels deep (limit {limit})")


def sanitize_html(html: str) -> str:
    """Return article HTML reduced to the allow-list, safe to render as-is.
    Raises HtmlTooComplex for pathologically deep nesting."""
    if not html:
        return ""
    check_nesting(html)
    with _LOCK:
        fragment = _CONTENT_PARSER.parseFragment(html, scripting=True)
        _prune(fragment)
        pruned = _CONTENT_SERIALIZER.render(_CONTENT_WALKER(fragment))
        return _CLEANER.clean(pruned).strip(_EDGE_JUNK)


_BLOCK_TAGS = frozenset(
    {
        "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "ul", "ol", "li",
        "table", "thead", "tbody", "tfoot", "tr", "blockquote", "pre", "figure", "figcaption",
    }
)  # fmt: skip
_CELL_TAGS = frozenset({"td", "th"})
_WHITESPACE_RE = re.compile(r"\s+")


class _TextExtractor(HTMLParser):
    """Collect text from sanitized HTML, one line per block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._pieces: list[tuple[str, bool]] = []
        self._pre_depth = 0

    def _break(self) -> None:
        if not self._pieces:
            return
        if any(in_pre for _, in_pre in self._pieces):
            text = "".join(
                piece if in_pre else _WHITESPACE_RE.sub(" ", piece)
                for piece, in_pre in self._pieces
            )
            block = [line.rstrip() for line in text.split("\n")]
            while block and not block[0].strip():
                block.pop(0)
            while block and not block[-1]:
                block.pop()
            self.lines.extend(block)
        else:
            line = _WHITESPACE_RE.sub(" ", "".join(piece for piece, _ in self._pieces)).strip()
            if line:
                self.lines.append(line)
        self._pieces = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self._break()
        if tag == "pre":
            self._pre_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self._break()
        elif tag in _CELL_TAGS:
            self._pieces.append((" ", False))
        if tag == "pre" and self._pre_depth:
            self._pre_depth -= 1

    def handle_data(self, data: str) -> None:
        self._pieces.append((data, self._pre_depth > 0))

    def close(self) -> None:
        super().close()
        self._break()


def html_to_text(html: str, *, sanitized: bool = False) -> str:
    """Return the plain text of article HTML (sanitized first unless `sanitized`), one line
    per block."""
    extractor = _TextExtractor()
    extractor.feed(html if sanitized else sanitize_html(html))
    extractor.close()
    return "\n".join(extractor.lines)


_HASH_VERSION = "kepu-content-v1"


def _canonical(value: str) -> str:
    return unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n")).strip()


def content_hash(title: str, html: str, *, sanitized: bool = False) -> str:
    """Return the sha256 hex digest identifying an article's title and sanitized body
    (pass `sanitized=True` when `html` already went through sanitize_html)."""
    canonical = json.dumps(
        [_HASH_VERSION, _canonical(title), _canonical(html if sanitized else sanitize_html(html))],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
