"""Seal an OFD with an electronic seal (GB/T 38540 §7 / GB/T 33190 §18).

Order of work, as readers expect it: Signatures.xml gets the new entry, the seal is stored
as Seal.esl, then every part of the package except this signature's own Signature.xml and
SignedValue.dat, and Signatures.xml (which every later seal must change), is hashed (SM3)
into References; Signature.xml is written, its SM3 is the
dataHash the seal signature signs, and the SES_Signature DER becomes SignedValue.dat.
"""

from __future__ import annotations

import base64
import posixpath
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr

from sealhub.esign.gm import sm2
from sealhub.esign.ofd.document import Document, Page, documents
from sealhub.esign.ofd.package import NS, OfdMalformed, OfdPackage, child, children, local
from sealhub.esign.ses import seal as ses

PROVIDER = ("SealHub", "0.1", "SealHub")


@dataclass(frozen=True)
class Placement:
    """Where the stamp goes: a page and a top-left corner in mm, a keyword, or a straddle.

    `page` is 0-based. With `keyword`, the seal is centred on its first occurrence. With
    `straddle`, the seal is cut into one vertical slice per page along the right edge, at
    height `y` (centred when None); `pages` limits the straddle to some pages.
    """

    page: int = 0
    x: float | None = None
    y: float | None = None
    keyword: str | None = None
    straddle: bool = False
    pages: tuple[int, ...] | None = None
    width_mm: float | None = None
    height_mm: float | None = None


@dataclass(frozen=True)
class Stamp:
    """One StampAnnot: page ID, boundary (mm) and optional clip inside it."""

    page_id: str
    boundary: tuple[float, float, float, float]
    clip: tuple[float, float, float, float] | None = None


def _fmt(values: tuple[float, ...]) -> str:
    return " ".join(f"{v:.3f}".rstrip("0").rstrip(".") for v in values)


def _deltas(spec: str | None) -> list[float]:
    """DeltaX with the 'g n v' shorthand expanded."""
    if not spec:
        return []
    tokens = spec.split()
    out: list[float] = []
    i = 0
    while i < len(tokens):
        if tokens[i] == "g" and i + 2 < len(tokens):
            out.extend([float(tokens[i + 2])] * int(float(tokens[i + 1])))
            i += 3
        else:
            out.append(float(tokens[i]))
            i += 1
    return out


def find_keyword(pkg: OfdPackage, page: Page, keyword: str) -> tuple[float, float, float] | None:
    """(x, y, font size) in mm of the keyword's first character's baseline, on one page."""
    for obj in pkg.xml(page.path).iter():
        if local(obj.tag) != "TextObject":
            continue
        bound = [float(v) for v in (obj.get("Boundary") or "0 0 0 0").split()[:2]]
        size = float(obj.get("Size") or 3.5)
        for code in children(obj, "TextCode"):
            content = code.text or ""
            at = content.find(keyword)
            if at < 0:
                continue
            deltas = _deltas(code.get("DeltaX"))
            dx = sum(deltas[:at]) if len(deltas) >= at else at * size
            x = bound[0] + float(code.get("X") or 0) + dx
            y = bound[1] + float(code.get("Y") or 0)
            return x, y, size
    return None


def _stamps(pkg: OfdPackage, doc: Document, seal: ses.Seal, where: Placement) -> list[Stamp]:
    w = where.width_mm or float(seal.picture.width_mm or 40)
    h = where.height_mm or float(seal.picture.height_mm or 40)
    pages = doc.pages
    if where.straddle:
        chosen = [pages[i] for i in (where.pages or range(len(pages))) if 0 <= i < len(pages)]
        if len(chosen) < 2:
            raise OfdMalformed(reason="bad_page", name="straddle")
        piece = w / len(chosen)
        out = []
        for i, page in enumerate(chosen):
            pw, ph = page.box[2], page.box[3]
            y = where.y if where.y is not None else (ph - h) / 2
            out.append(Stamp(page.id, (pw - (i + 1) * piece, y, w, h), (i * piece, 0, piece, h)))
        return out
    if where.keyword:
        for page in pages:
            hit = find_keyword(pkg, page, where.keyword)
            if hit is not None:
                x, y, size = hit
                cx = x + len(where.keyword) * size / 2
                cy = y - size / 3
                return [Stamp(page.id, (cx - w / 2, cy - h / 2, w, h))]
        raise OfdMalformed(reason="keyword_not_found", name=where.keyword[:100])
    if not 0 <= where.page < len(pages):
        raise OfdMalformed(reason="bad_page", name=str(where.page))
    page = pages[where.page]
    x = where.x if where.x is not None else page.box[2] - w - 20
    y = where.y if where.y is not None else page.box[3] - h - 30
    return [Stamp(page.id, (x, y, w, h))]


def _xml_bytes(root: ET.Element) -> bytes:
    ET.register_namespace("ofd", NS)
    body: bytes = ET.tostring(root, encoding="unicode").encode()
    return b'<?xml version="1.0" encoding="UTF-8"?>' + body


def _ensure_signatures_list(pkg: OfdPackage, doc: Document) -> str:
    """Signatures.xml's path, declaring it in OFD.xml's DocBody when new."""
    if doc.signatures_path:
        return doc.signatures_path
    path = posixpath.join(doc.dir, "Signs", "Signatures.xml") if doc.dir else "Signs/Signatures.xml"
    root = pkg.xml("OFD.xml")
    body = list(children(root, "DocBody"))[doc.index]
    ns = body.tag[: body.tag.index("}") + 1] if body.tag.startswith("{") else ""
    node = ET.SubElement(body, f"{ns}Signatures")
    node.text = path
    pkg.files["OFD.xml"] = _xml_bytes(root)
    pkg.files[path] = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Signatures xmlns:ofd="{NS}">'
        "<ofd:MaxSignId>0</ofd:MaxSignId></ofd:Signatures>"
    ).encode()
    return path


def _add_entry(pkg: OfdPackage, list_path: str, sig_xml_path: str) -> str:
    root = pkg.xml(list_path)
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    ids = [n.get("ID", "") for n in children(root, "Signature")]
    max_node = child(root, "MaxSignId")
    numbers = [int(m.group()) for v in ids if (m := re.search(r"\d+", v))]
    if max_node is not None and max_node.text and (m := re.search(r"\d+", max_node.text)):
        numbers.append(int(m.group()))
    new_id = str(max(numbers, default=0) + 1)
    if max_node is None:
        max_node = ET.Element(f"{ns}MaxSignId")
        root.insert(0, max_node)
    max_node.text = new_id
    ET.SubElement(
        root, f"{ns}Signature", {"ID": new_id, "Type": "Seal", "BaseLoc": "/" + sig_xml_path}
    )
    pkg.files[list_path] = _xml_bytes(root)
    return new_id


def seal_ofd(
    data: bytes,
    seal: ses.Seal,
    signer_key: sm2.Sm2Signer,
    signer_cert: bytes,
    *,
    at: datetime,
    where: Placement = Placement(),
    document: int = 0,
) -> bytes:
    """Return the OFD with one more seal signature protecting every existing part."""
    pkg = OfdPackage.read(data)
    docs = documents(pkg)
    if not 0 <= document < len(docs):
        raise OfdMalformed(reason="no_document")
    doc = docs[document]
    stamps = _stamps(pkg, doc, seal, where)
    list_path = _ensure_signatures_list(pkg, doc)
    signs_dir = posixpath.dirname(list_path)
    n = 0
    while any(f.startswith(posixpath.join(signs_dir, f"Sign_{n}") + "/") for f in pkg.files):
        n += 1
    sign_dir = posixpath.join(signs_dir, f"Sign_{n}")
    sig_xml_path = f"{sign_dir}/Signature.xml"
    value_path = f"{sign_dir}/SignedValue.dat"
    seal_path = f"{sign_dir}/Seal.esl"
    sign_id = _add_entry(pkg, list_path, sig_xml_path)
    pkg.files[seal_path] = seal.der
    refs = "".join(
        f"<ofd:Reference FileRef={quoteattr('/' + name)}><ofd:CheckValue>"
        f"{base64.b64encode(sm2.sm3(content)).decode()}</ofd:CheckValue></ofd:Reference>"
        for name, content in pkg.files.items()
        # Signatures.xml changes with every later seal, so it is not protected here
        if name != list_path
    )
    annots = "".join(
        f'<ofd:StampAnnot ID="{sign_id}_{i}" PageRef={quoteattr(s.page_id)} '
        f'Boundary="{_fmt(s.boundary)}"' + (f' Clip="{_fmt(s.clip)}"' if s.clip else "") + "/>"
        for i, s in enumerate(stamps)
    )
    when = at.astimezone(UTC)
    name, version, company = PROVIDER
    signature_xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Signature xmlns:ofd="{NS}">'
        f'<ofd:SignedInfo><ofd:Provider ProviderName="{name}" Version="{version}" '
        f'Company="{company}"/><ofd:SignatureMethod>{sm2.SM2_WITH_SM3_OID}</ofd:SignatureMethod>'
        f"<ofd:SignatureDateTime>{when:%Y%m%d%H%M%S}Z</ofd:SignatureDateTime>"
        f'<ofd:References CheckMethod="{sm2.SM3_OID}">{refs}</ofd:References>{annots}'
        f"<ofd:Seal><ofd:BaseLoc>/{seal_path}</ofd:BaseLoc></ofd:Seal></ofd:SignedInfo>"
        f"<ofd:SignedValue>/{value_path}</ofd:SignedValue></ofd:Signature>"
    ).encode()
    pkg.files[sig_xml_path] = signature_xml
    signature = ses.sign_digest(
        seal,
        signer_key,
        signer_cert,
        sm2.sm3(signature_xml),
        at=when,
        property_info="/" + sig_xml_path,
    )
    pkg.files[value_path] = signature.der
    return pkg.to_bytes()
