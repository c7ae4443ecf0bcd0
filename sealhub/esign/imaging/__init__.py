"""Seal images: standard Chinese seal shapes at true size, signatures, imported imprints."""

from sealhub.esign.imaging.fonts import font_path
from sealhub.esign.imaging.imprint import extract_red_seal
from sealhub.esign.imaging.seals import (
    ROUND_SIZES_MM,
    SEAL_RED,
    SealImage,
    mm_to_px,
    oval_seal,
    round_seal,
    signature_image,
    square_seal,
)

__all__ = [
    "ROUND_SIZES_MM",
    "SEAL_RED",
    "SealImage",
    "extract_red_seal",
    "font_path",
    "mm_to_px",
    "oval_seal",
    "round_seal",
    "signature_image",
    "square_seal",
]
