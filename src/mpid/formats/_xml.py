"""Safe XML reading for the importers: a light element tree that knows lines and paths.

The expat parser comes from :class:`defusedxml.ElementTree.DefusedXMLParser`, so a DOCTYPE,
an entity declaration or an external reference raises before anything is expanded; the tree
is then built by plain expat callbacks (much faster than SAX or the pure-Python ElementTree
that defusedxml falls back to), keeping each element's line number.
"""

from __future__ import annotations

import xml.parsers.expat
from pathlib import Path

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from mpid.formats.errors import FormatError, MalformedFileError, UnsafeXMLError

__all__ = ["XMLNode", "load_xml_tree", "with_element"]


class XMLNode:
    """An XML element with its line number and its path from the root (``/a/b[2]``)."""

    __slots__ = ("attrs", "children", "index", "line", "parent", "tag", "text_parts")

    def __init__(self, tag: str, line: int, parent: XMLNode | None, attrs: dict[str, str]) -> None:
        self.tag = tag
        self.line = line
        self.parent = parent
        self.attrs = attrs
        self.children: list[XMLNode] = []
        self.text_parts: list[str] = []
        self.index = 0  # position among same-named siblings, filled in when a path is asked for

    @property
    def text(self) -> str:
        """The element's own text, stripped."""
        return "".join(self.text_parts).strip()

    @property
    def path(self) -> str:
        """``/root/child[k]/...`` where k counts same-named siblings from 1 (computed on demand)."""
        if self.parent is None:
            return f"/{self.tag}"
        if not self.index:
            counts: dict[str, int] = {}
            for sibling in self.parent.children:
                counts[sibling.tag] = sibling.index = counts.get(sibling.tag, 0) + 1
        return f"{self.parent.path}/{self.tag}[{self.index}]"

    def first(self, tag: str) -> XMLNode | None:
        """The first child with this tag, or None."""
        for child in self.children:
            if child.tag == tag:
                return child
        return None

    def all(self, tag: str) -> list[XMLNode]:
        """Every child with this tag, in document order."""
        return [c for c in self.children if c.tag == tag]


def _local(name: str) -> str:
    return name.rpartition("}")[2]


def load_xml_tree(source: str) -> XMLNode:
    """Parse a file with DTDs, entities and external references refused; FormatError on any problem."""
    try:
        data = Path(source).read_bytes()
    except OSError as exc:
        raise FormatError(source, f"cannot read file: {exc.strerror or exc}") from None
    guard = DefusedXMLParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    expat = guard.parser
    stack: list[XMLNode] = []
    roots: list[XMLNode] = []

    def start(name: str, attributes: list[str]) -> None:
        attrs = {}
        if attributes:
            attrs = {_local(attributes[i]): attributes[i + 1] for i in range(0, len(attributes), 2)}
        parent = stack[-1] if stack else None
        node = XMLNode(_local(name), expat.CurrentLineNumber, parent, attrs)
        if parent is None:
            roots.append(node)
        else:
            parent.children.append(node)
        stack.append(node)

    def end(name: str) -> None:
        stack.pop()

    def text(content: str) -> None:
        if stack:
            stack[-1].text_parts.append(content)

    expat.StartElementHandler = start
    expat.EndElementHandler = end
    expat.CharacterDataHandler = text
    try:
        expat.Parse(data, True)
    except DefusedXmlException as exc:
        raise UnsafeXMLError(
            source,
            f"refused: XML with a DTD, entity declarations or external references ({type(exc).__name__})",
        ) from None
    except xml.parsers.expat.ExpatError as exc:
        raise MalformedFileError(
            source, f"not well-formed XML: {xml.parsers.expat.ErrorString(exc.code)}", line=exc.lineno
        ) from None
    except (ValueError, UnicodeError, LookupError) as exc:
        raise MalformedFileError(source, f"not well-formed XML: {exc}") from None
    if not roots:
        raise MalformedFileError(source, "not well-formed XML: no root element")
    return roots[0]


def with_element(node: XMLNode, error: FormatError) -> FormatError:
    """The same error naming ``node`` (line and path), so paths are only built when something fails."""
    return type(error)(error.path, error.message, line=node.line, element=node.path, field=error.field)
