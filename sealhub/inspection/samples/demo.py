"""What the demo needs: real contracts and photos of their stamped pages, one tampered."""

from __future__ import annotations

import random

from sealhub.inspection.samples import contracts
from sealhub.inspection.samples.corpus import make_case
from sealhub.inspection.samples.photographer import Distortion


def contract(seed: int) -> tuple[contracts.Contract, bytes]:
    """A 3-page Chinese contract (parties, amount, dates, clauses, 盖章处) as a PDF."""
    return contracts.contract_pdf(seed)


def stamped_photos(c: contracts.Contract, *, tampered_page: int = 0) -> list[tuple[str, bytes]]:
    """JPEG photos of each stamped page; on `tampered_page` the amount was changed."""
    rng = random.Random(len(c.facts.number))  # noqa: S311 - reproducible demo data
    out = []
    for page in range(len(c.pages)):
        kind = "amount" if page == tampered_page else ""
        d = Distortion(rotation=rng.uniform(-8, 8), tilt=0.04, blur=0.5, light=0.25, jpeg=82)
        case = make_case(c, page, kind, rng, distortion=d)
        out.append((f"盖章页-第{page + 1}页.jpg", case.photo))
    return out
