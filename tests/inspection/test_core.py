"""The pure core (alignment, clusters, verdicts), a few generated photos through the whole
pipeline, and OCR pinned to one thread."""

from __future__ import annotations

import random
import resource

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sealhub.inspection.compare import (
    THRESHOLDS,
    Char,
    Precision,
    Verdict,
    best_page,
    compare,
    decide,
    significant_char,
)
from sealhub.inspection.ocr import RapidOcrEngine
from sealhub.inspection.originals import read_pdf
from sealhub.inspection.pipeline import inspect
from sealhub.inspection.samples import contracts
from sealhub.inspection.samples.corpus import make_case
from sealhub.inspection.samples.photographer import Distortion

STRICT = THRESHOLDS[Precision.STRICT]
LOOSE = THRESHOLDS[Precision.LOOSE]


def chars(text: str, line: int = 0) -> list[Char]:
    out = []
    for i, ch in enumerate(text):
        f = significant_char(ch)
        if f:
            out.append(Char(f, (i * 0.01, line * 0.02, i * 0.01 + 0.01, line * 0.02 + 0.015)))
    return out


def test_folding_ignores_punctuation_and_widths():
    assert (
        "".join(significant_char(c) for c in "人民币１２，０００元（含税）") == "人民币12000元含税"
    )


def test_two_digits_changed_apart_are_one_change():
    a = chars("合同金额：人民币454,000元整")
    b = chars("合同金额：人民币952,000元整")
    c = compare(a, b, STRICT)
    assert [(d.original, d.photo) for d in c.significant] == [("4", "9"), ("4", "2")]
    assert all(d.kind == "changed" and d.photo_box is not None for d in c.significant)


def test_one_misread_character_is_not_a_change_but_a_name_is():
    base = "甲方：上海明远科技有限公司 乙方：北京华信数据服务有限公司 签订日期：2026年03月15日"
    one = base.replace("明", "朋")
    assert compare(chars(base), chars(one), STRICT).significant == []
    name = base.replace("上海明远科技", "深圳海川电子")
    sig = compare(chars(base), chars(name), STRICT).significant
    gone = "".join(d.original for d in sig)  # the aligner may keep the shared 海
    assert len(gone) >= 5 and set(gone) <= set("上海明远科技")
    assert compare(chars(base), chars(name), LOOSE).significant  # 6 characters: loose too


def test_deleted_clause_is_a_deletion():
    a = chars("1. 甲方付款。2. 乙方保密义务三年。3. 本合同一式两份。")
    b = chars("1. 甲方付款。3. 本合同一式两份。")
    sig = compare(a, b, STRICT).significant
    assert [d.kind for d in sig] == ["deleted"] and "保密义务三年" in sig[0].original


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="甲乙方合同金额元整0123456789年月日", min_size=20, max_size=120))
def test_a_page_compared_with_itself_matches(text):
    c = compare(chars(text), chars(text), STRICT)
    assert c.similarity == 1.0 and c.differences == []


@settings(max_examples=40, deadline=None)
@given(
    st.text(alphabet="甲乙方合同金额元整年月日", min_size=30, max_size=100),
    st.integers(min_value=0, max_value=25),
    st.text(alphabet="0123456789", min_size=2, max_size=4),
)
def test_an_inserted_figure_is_always_found(text, at, figure):
    original = chars(text)
    forged = chars(text[:at] + figure + text[at:])
    sig = compare(original, forged, STRICT).significant
    assert "".join(d.photo for d in sig).find(figure) >= 0 or sum(len(d.photo) for d in sig) >= len(
        figure
    )


def test_verdict_order_never_lets_a_bad_photo_match():
    page = chars("甲方乙方合同金额人民币十万元整签订日期二零二六年")
    match = best_page([page], page, STRICT)
    ok = {"photo_chars": len(page), "match": match, "imprints": 1, "imprints_in_area": 1}
    assert decide(problems=[], t=STRICT, **ok) == Verdict.MATCHES
    assert decide(problems=["too_dark"], t=STRICT, **ok) == Verdict.UNREADABLE
    assert decide(problems=[], t=STRICT, **{**ok, "imprints": 0, "imprints_in_area": 0}) == (
        Verdict.NO_IMPRINT
    )
    assert decide(problems=[], t=STRICT, **{**ok, "imprints_in_area": 0}) == (
        Verdict.IMPRINT_OUTSIDE
    )
    assert decide(problems=[], t=STRICT, **{**ok, "photo_chars": 3}) == Verdict.BLANK
    assert decide(problems=[], t=STRICT, **{**ok, "match": None}) == Verdict.NOT_IN_APPLICATION


@pytest.fixture(scope="module")
def engine():
    return RapidOcrEngine()


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def test_ocr_runs_on_one_thread(engine):
    """Pinned: the OCR's work is done by the calling thread, none by a pool (ONNX Runtime's
    default, one spinning thread per core, oversubscribes a shared 2-core machine by up to
    30x). The process's CPU time, which counts every thread, even ended ones, minus the
    calling thread's must stay near zero."""
    _, pdf = contracts.contract_pdf(21)
    page = read_pdf(pdf, engine)[0].image
    engine.read(page[:400])  # load the models first
    assert engine.session_threads() and all(pair == (1, 1) for pair in engine.session_threads()), (
        engine.session_threads()
    )
    process, mine = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_THREAD)
    lines = engine.read(page)
    spent_mine = _cpu(resource.RUSAGE_THREAD) - mine
    spent_others = _cpu(resource.RUSAGE_SELF) - process - spent_mine
    assert lines, "the page was read"
    assert spent_mine > 0.2, spent_mine
    assert spent_others < 0.1 * spent_mine, (spent_others, spent_mine)


def test_generated_swapped_and_blank_pages(engine):
    """Two of the corpus's frauds end to end through the pipeline (no database)."""
    contract, pdf = contracts.contract_pdf(31)
    pages = [p.chars for p in read_pdf(pdf, engine)]
    rng = random.Random(9)
    d = Distortion(rotation=12, tilt=0.06, blur=1.0, light=0.35, jpeg=65)
    swapped = make_case(contract, 1, "swapped", rng, distortion=d, seed=31)
    blank = make_case(contract, 2, "blank", rng, distortion=d, seed=31)
    assert inspect(swapped.photo, pages, engine, STRICT).verdict != Verdict.MATCHES
    assert inspect(blank.photo, pages, engine, STRICT).verdict == Verdict.BLANK
