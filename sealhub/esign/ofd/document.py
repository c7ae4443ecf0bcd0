"""OFD.xml -> documents -> pages (the parts a reader, sealer and renderer need)."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from sealhub.esign.ofd.package import OfdMalformed, OfdPackage, box, child, children, text

A4 = (0.0, 0.0, 210.0, 297.0)


@dataclass(frozen=True)
class Page:
    """One page: its ID (what StampAnnot/PageRef names), content part and box in mm."""

    id: str
    path: str
    box: tuple[float, float, float, float]
    templates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Document:
    """One document of the package."""

    index: int
    path: str
    pages: tuple[Page, ...]
    signatures_path: str | None
    resources: tuple[str, ...] = field(default=())

    @property
    def dir(self) -> str:
        """The folder of Document.xml."""
        return posixpath.dirname(self.path)


def _page_box(
    node: Element | None, default: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    area = child(node, "Area") if node is not None else None
    found = box(text(area, "PhysicalBox")) if area is not None else None
    return found or default


def documents(pkg: OfdPackage) -> list[Document]:
    """Every document named by OFD.xml's DocBody elements."""
    root = pkg.xml("OFD.xml")
    out: list[Document] = []
    for i, body in enumerate(children(root, "DocBody")):
        doc_root = text(body, "DocRoot")
        if not doc_root:
            continue
        doc_path = pkg.resolve(doc_root, "")
        sig_ref = text(body, "Signatures")
        sig_path = pkg.resolve(sig_ref, "") if sig_ref else None
        out.append(_document(pkg, i, doc_path, sig_path))
    if not out:
        raise OfdMalformed(reason="no_document")
    return out


def _document(pkg: OfdPackage, index: int, path: str, sig_path: str | None) -> Document:
    node = pkg.xml(path)
    base = posixpath.dirname(path)
    common = child(node, "CommonData")
    default = box(text(child(common, "PageArea"), "PhysicalBox")) if common is not None else None
    default = default or A4
    templates = {}
    resources: list[str] = []
    if common is not None:
        for tpl in children(common, "TemplatePage"):
            loc = tpl.get("BaseLoc")
            if loc and tpl.get("ID"):
                templates[tpl.get("ID", "")] = pkg.resolve(loc, base)
        for name in ("PublicRes", "DocumentRes"):
            for res in children(common, name):
                if res.text and res.text.strip():
                    resources.append(pkg.resolve(res.text.strip(), base))
    pages: list[Page] = []
    pages_node = child(node, "Pages")
    for page in children(pages_node, "Page") if pages_node is not None else ():
        loc = page.get("BaseLoc")
        if not loc:
            continue
        page_path = pkg.resolve(loc, base)
        raw = pkg.files.get(page_path, b"")
        # Area and Template come before Content: skip parsing pages that have neither
        head = raw.split(b"Content", 1)[0]
        page_node = pkg.xml(page_path) if b"Area" in head or b"Template" in head else None
        tpl_ids = (
            tuple(
                templates[t.get("TemplateID", "")]
                for t in children(page_node, "Template")
                if t.get("TemplateID", "") in templates
            )
            if page_node is not None
            else ()
        )
        pages.append(Page(page.get("ID", ""), page_path, _page_box(page_node, default), tpl_ids))
    return Document(index, path, tuple(pages), sig_path, tuple(resources))
