"""Safe XML reading for the importers: defusedxml SAX into a light tree with lines and paths."""

from __future__ import annotations

import xml.sax
from dataclasses import dataclass, field
from pathlib import Path

import defusedxml.sax
from defusedxml.common import DefusedXmlException

from mpid.formats.errors import FormatError, MalformedFileError, UnsafeXMLError

__all__ = ["XMLNode", "load_xml_tree"]


@dataclass
class XMLNode:
    """An XML element with its line number and its path from the root (``/a/b[2]``)."""

    tag: str
    line: int
    path: str
    attrs: dict[str, str]
    children: list[XMLNode] = field(default_factory=list)
    text_parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.text_parts).strip()

    def first(self, tag: str) -> XMLNode | None:
        return next((c for c in self.children if c.tag == tag), None)

    def all(self, tag: str) -> list[XMLNode]:
        return [c for c in self.children if c.tag == tag]


class _TreeBuilder(xml.sax.handler.ContentHandler):
    """Builds a light element tree that remembers each element's line and path."""

    def __init__(self) -> None:
        super().__init__()
        self.root: XMLNode | None = None
        self.stack: list[XMLNode] = []
        self.counts: list[dict[str, int]] = [{}]
        self._locator: xml.sax.xmlreader.Locator | None = None

    def setDocumentLocator(self, locator: xml.sax.xmlreader.Locator) -> None:  # noqa: N802 - SAX API
        self._locator = locator

    def startElement(self, name: str, attrs: xml.sax.xmlreader.AttributesImpl) -> None:  # noqa: N802
        tag = name.rsplit(":", 1)[-1]
        siblings = self.counts[-1]
        siblings[tag] = siblings.get(tag, 0) + 1
        parent_path = self.stack[-1].path if self.stack else ""
        path = f"{parent_path}/{tag}" if not self.stack else f"{parent_path}/{tag}[{siblings[tag]}]"
        line = self._locator.getLineNumber() if self._locator else 0
        node = XMLNode(tag, line, path, {k.rsplit(":", 1)[-1]: v for k, v in attrs.items()})
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)
        self.counts.append({})

    def endElement(self, name: str) -> None:  # noqa: N802 - SAX API
        self.stack.pop()
        self.counts.pop()

    def characters(self, content: str) -> None:
        if self.stack:
            self.stack[-1].text_parts.append(content)


def load_xml_tree(source: str) -> XMLNode:
    """Parse a file with DTDs, entities and external references refused; FormatError on any problem."""
    try:
        data = Path(source).read_bytes()
    except OSError as exc:
        raise FormatError(source, f"cannot read file: {exc.strerror or exc}") from None
    builder = _TreeBuilder()
    try:
        defusedxml.sax.parseString(
            data, builder, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise UnsafeXMLError(
            source,
            f"refused: XML with a DTD, entity declarations or external references ({type(exc).__name__})",
        ) from None
    except xml.sax.SAXParseException as exc:
        raise MalformedFileError(
            source, f"not well-formed XML: {exc.getMessage()}", line=exc.getLineNumber()
        ) from None
    except (xml.sax.SAXException, ValueError, UnicodeError, LookupError) as exc:
        raise MalformedFileError(source, f"not well-formed XML: {exc}") from None
    if builder.root is None:
        raise MalformedFileError(source, "not well-formed XML: no root element")
    return builder.root
