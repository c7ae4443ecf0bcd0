"""Reading an OFD package (GB/T 33190) defensively: a zip of XML parts.

Untrusted input: entry count, per-entry and total sizes and the compression ratio are
capped (zip bombs), every name must be a plain relative path (no traversal, no absolute or
drive paths, no backslashes, no duplicates), the bytes actually read may not exceed the
size the header announced, and XML is parsed with `defusedxml` (no DTDs, no entities).
"""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET

from sealhub.esign.ofd.errors import OfdMalformed as OfdMalformed

NS = "http://www.ofdspec.org/2016"


@dataclass(frozen=True)
class Limits:
    """Caps for untrusted packages."""

    max_package_bytes: int = 64 * 1024 * 1024
    max_entries: int = 4096
    max_entry_bytes: int = 64 * 1024 * 1024
    max_total_bytes: int = 256 * 1024 * 1024
    # a ratio above this for an entry bigger than `ratio_floor` bytes is a bomb
    max_ratio: int = 100
    ratio_floor: int = 1024 * 1024


def _safe_name(name: str) -> bool:
    if not name or name.startswith("/") or "\\" in name or "\0" in name:
        return False
    parts = name.rstrip("/").split("/")
    if ":" in parts[0]:
        return False
    return all(p not in ("", ".", "..") for p in parts)


@dataclass
class OfdPackage:
    """The parts of an OFD, by normalised path (no leading slash), in package order."""

    files: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def read(cls, data: bytes, limits: Limits = Limits()) -> OfdPackage:
        """Open a package, enforcing `limits`; raise `esign.ofd_malformed`."""
        if len(data) > limits.max_package_bytes:
            raise OfdMalformed(reason="too_large", name="package")
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            infos = archive.infolist()
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
            raise OfdMalformed(reason="not_zip") from exc
        if len(infos) > limits.max_entries:
            raise OfdMalformed(reason="too_many_entries")
        files: dict[str, bytes] = {}
        total = 0
        for info in infos:
            name = info.filename
            if not _safe_name(name):
                raise OfdMalformed(reason="unsafe_path", name=name[:200])
            if name.endswith("/"):
                continue
            if name in files:
                raise OfdMalformed(reason="duplicate_entry", name=name[:200])
            if info.flag_bits & 0x1:
                raise OfdMalformed(reason="encrypted")
            if info.file_size > limits.max_entry_bytes:
                raise OfdMalformed(reason="too_large", name=name[:200])
            if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(
                info.compress_size, 1
            ):
                raise OfdMalformed(reason="zip_bomb", name=name[:200])
            total += info.file_size
            if total > limits.max_total_bytes:
                raise OfdMalformed(reason="too_large", name="package")
            try:
                with archive.open(info) as fh:
                    content = fh.read(info.file_size + 1)
            except (
                zipfile.BadZipFile,
                zlib.error,
                OSError,
                EOFError,
                NotImplementedError,
                ValueError,
            ) as exc:
                raise OfdMalformed(reason="not_zip") from exc
            if len(content) != info.file_size:
                # the header lied about the size: stop before inflating further
                raise OfdMalformed(reason="zip_bomb", name=name[:200])
            files[name] = content
        if "OFD.xml" not in files:
            raise OfdMalformed(reason="missing_file", name="OFD.xml")
        return cls(files)

    def resolve(self, ref: str, base_dir: str = "") -> str:
        """A part's path from a reference in a part living in `base_dir`."""
        ref = ref.strip().replace("\\", "/")
        if ref.startswith("/"):
            candidates = [ref.lstrip("/")]
        else:
            candidates = [posixpath.join(base_dir, ref), ref]
        for cand in candidates:
            norm = posixpath.normpath(cand) if cand else cand
            if norm.startswith("..") or norm.startswith("/"):
                raise OfdMalformed(reason="unsafe_path", name=ref[:200])
            if norm in self.files:
                return norm
        return posixpath.normpath(candidates[0])

    def get(self, path: str) -> bytes:
        """A part's bytes, or `missing_file`."""
        try:
            return self.files[path]
        except KeyError as exc:
            raise OfdMalformed(reason="missing_file", name=path[:200]) from exc

    def xml(self, path: str) -> Element:
        """A part parsed as XML (no DTD, no entities)."""
        try:
            root: Element = SafeET.fromstring(self.get(path), forbid_dtd=True)
        except OfdMalformed:
            raise
        except Exception as exc:  # ParseError, DTDForbidden, EntitiesForbidden...
            raise OfdMalformed(reason="bad_xml", name=path[:200]) from exc
        return root

    def to_bytes(self) -> bytes:
        """The package as a zip (deflated)."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, content in self.files.items():
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, content)
        return out.getvalue()


def local(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rsplit("}", 1)[-1]


def children(node: Element, name: str) -> Iterator[Element]:
    """Direct children with this local name (any namespace or none)."""
    return (c for c in node if local(c.tag) == name)


def child(node: Element | None, name: str) -> Element | None:
    """The first direct child with this local name."""
    if node is None:
        return None
    return next(children(node, name), None)


def text(node: Element | None, name: str) -> str | None:
    """The stripped text of the first child with this local name."""
    c = child(node, name)
    return c.text.strip() if c is not None and c.text else None


def box(value: str | None) -> tuple[float, float, float, float] | None:
    """'x y w h' -> floats."""
    if not value:
        return None
    try:
        nums = [float(v) for v in value.split()]
    except ValueError:
        return None
    if len(nums) != 4:
        return None
    return nums[0], nums[1], nums[2], nums[3]
