"""Stamped-page photos for the corpus, the tests and the demo (deterministic by seed)."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from sealhub.inspection.originals import read_pdf
from sealhub.inspection.photo import PAGE_W, Image
from sealhub.inspection.samples import contracts as c
from sealhub.inspection.samples.photographer import (
    Distortion,
    photograph,
    random_distortion,
    seal_image,
    stamp,
)

SEAL_AT = (0.72, 0.8)  # where the imprint lands (fractions of the page): the seal area


@dataclass(frozen=True)
class Case:
    """One photo: what was done to the page, how it was photographed, the expected verdict."""

    seed: int
    page: int  # 0-based page of the approved contract it claims to be
    tamper: str  # "" (genuine) or one of contracts.TAMPER_KINDS
    distortion: Distortion
    photo: bytes
    expected: str  # the verdict an inspector should reach


class _NoOcr:
    name = "none"

    def read(self, image: Image) -> list[object]:
        raise AssertionError("the generated contracts have a text layer")


def render_pages(pages: list[list[str]]) -> list[Image]:
    """Rendered page images of a generated contract (its text layer is not needed here)."""
    return [p.image for p in read_pdf(c.render_pdf(pages), _NoOcr())]  # type: ignore[arg-type]


def blank_page() -> Image:
    return np.full((int(PAGE_W * 842 / 595), PAGE_W, 3), 255, dtype=np.uint8)


def make_case(
    contract: c.Contract,
    page: int,
    tamper: str,
    rng: random.Random,
    *,
    distortion: Distortion | None = None,
    seed: int = 0,
) -> Case:
    """Tamper (or not) with one page of `contract`, stamp it and photograph it."""
    facts = contract.facts
    expected = "matches"
    if tamper in ("amount", "name", "date"):
        changed = {"amount": c.tamper_amount, "name": c.tamper_name, "date": c.tamper_date}[tamper](
            facts, rng
        )
        lines = c.layout(changed).pages[page]
        expected = "differs"
    elif tamper == "clause_deleted":
        lines = c.delete_clause(contract, page, rng).pages[page]
        expected = "differs"
    elif tamper == "swapped":
        other = c.layout(c.make_facts(seed + 10_000, english=facts.english))
        lines = other.pages[page]
        expected = "not_in_application"
    else:
        lines = contract.pages[page]
    image = blank_page() if tamper == "blank" else render_pages([lines])[0]
    if tamper == "blank":
        expected = "blank"
    seal = seal_image(facts.party_a)
    image = stamp(image, seal, at=SEAL_AT, rng=rng)
    if tamper == "stamped_twice":
        image = stamp(image, seal, at=(0.35, 0.82), rng=rng)
    d = distortion or random_distortion(rng)
    return Case(seed, page, tamper, d, photograph(image, d, rng), expected)
