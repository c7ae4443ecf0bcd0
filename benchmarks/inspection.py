"""Inspection benchmark: generate the corpus, run the pipeline and the bare OCR engine on
the same photos in the same run, print accuracy by tamper kind and by distortion, and time.

    .venv/bin/python benchmarks/inspection.py [--contracts 6] [--seed 1] [--tesseract 4]
                                              [--write DIR]

Corpus (sealhub/inspection/samples): per contract (Chinese; every third one English) three
genuine pages and seven variants — amount, party name or date changed (>= 2 characters),
a clause deleted, a page swapped with another contract's, a blank page, a page stamped
twice — each stamped with a red seal and "photographed" (rotation <= 15 deg, perspective,
blur, uneven light, JPEG 60-90). `--write DIR` also saves the photos and a manifest.

"bare OCR" is the same RapidOCR engine (one thread) called directly on the decoded photo;
"pipeline" is everything inspection does for a photo (sheet, perspective, red removal,
light, OCR, page matching, alignment, imprint check, verdict). `--tesseract N` runs N
photos through the pipeline with Tesseract (chi_sim+eng, --psm 6, OMP_THREAD_LIMIT=1) too,
for the engine comparison. Exit status 0 whatever the numbers.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sealhub.inspection.compare import THRESHOLDS, Precision, significant_char
from sealhub.inspection.ocr import RapidOcrEngine, TesseractEngine, pin_threads
from sealhub.inspection.originals import read_pdf
from sealhub.inspection.photo import decode, read_sheet
from sealhub.inspection.pipeline import inspect
from sealhub.inspection.samples import contracts
from sealhub.inspection.samples.corpus import Case, make_case

# the page each kind of change is made on (where that fact is printed)
PAGE_OF = {"amount": 0, "name": 0, "date": 0, "clause_deleted": 1}


def corpus(n: int, seed: int) -> list[tuple[contracts.Contract, bytes, Case]]:
    out = []
    for k in range(n):
        s = seed * 1000 + k
        english = k % 3 == 2
        contract, pdf = contracts.contract_pdf(s, english=english)
        rng = random.Random(s)
        for page in range(3):
            out.append((contract, pdf, make_case(contract, page, "", rng, seed=s)))
        for kind in contracts.TAMPER_KINDS:
            if english and kind == "date":
                continue  # the English layout prints the same date format: covered in Chinese
            page = PAGE_OF.get(kind, rng.randrange(3))
            out.append((contract, pdf, make_case(contract, page, kind, rng, seed=s)))
    return out


def pct(a: int, b: int) -> str:
    return "-" if b == 0 else f"{100 * a / b:.1f} %"


def char_accuracy(truth: str, got: str) -> float:
    import difflib

    if not truth:
        return 1.0
    sm = difflib.SequenceMatcher(None, truth, got, autojunk=False)
    return sum(m.size for m in sm.get_matching_blocks()) / len(truth)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--contracts", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tesseract", type=int, default=4)
    ap.add_argument("--write", type=Path, default=None)
    args = ap.parse_args()
    pin_threads()
    engine = RapidOcrEngine()
    t = THRESHOLDS[Precision.STRICT]
    t0 = time.perf_counter()
    cases = corpus(args.contracts, args.seed)
    print(
        f"corpus: {len(cases)} photos of {args.contracts} contracts in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    originals: dict[int, list[list]] = {}
    engine.read(decode(cases[0][2].photo))  # warm up (model load, first-call cost)
    rows = []
    for contract, pdf, case in cases:
        key = id(contract)
        if key not in originals:
            originals[key] = [p.chars for p in read_pdf(pdf, engine)]
        img = decode(case.photo)
        a = time.perf_counter()
        engine.read(img)
        bare = time.perf_counter() - a
        a = time.perf_counter()
        r = inspect(case.photo, originals[key], engine, t)
        pipe = time.perf_counter() - a
        rows.append((case, str(r.verdict), bare, pipe, r.notes))
        print(
            f"  {case.tamper or 'genuine':15} {case.distortion.label:40} expected "
            f"{case.expected:18} got {r.verdict:18} bare {bare:.2f}s pipeline {pipe:.2f}s",
            flush=True,
        )
    if args.write:
        args.write.mkdir(parents=True, exist_ok=True)
        manifest = []
        for i, (case, verdict, _, _, _) in enumerate(rows):
            name = f"{i:04d}-{case.tamper or 'genuine'}.jpg"
            (args.write / name).write_bytes(case.photo)
            manifest.append(
                {
                    "file": name,
                    "seed": case.seed,
                    "page": case.page,
                    "tamper": case.tamper,
                    "expected": case.expected,
                    "distortion": case.distortion.label,
                    "verdict": verdict,
                }
            )
        (args.write / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False))

    print("\n## Detection by tamper kind (strict precision)\n")
    print("| kind | photos | caught (any anomaly) | exact verdict |")
    print("|---|---|---|---|")
    by_kind: dict[str, list] = defaultdict(list)
    for row in rows:
        by_kind[row[0].tamper or "genuine"].append(row)
    for kind in ["genuine", *contracts.TAMPER_KINDS]:
        rs = by_kind.get(kind, [])
        if not rs:
            continue
        if kind in ("genuine", "stamped_twice"):
            ok = sum(1 for r in rs if r[1] == "matches")
            extra = sum(1 for r in rs if "stamped_twice" in r[4]) if kind == "stamped_twice" else 0
            note = f" (flagged stamped twice: {extra}/{len(rs)})" if kind == "stamped_twice" else ""
            fa = sum(1 for r in rs if r[1] not in ("matches", "unreadable"))
            print(
                f"| {kind} | {len(rs)} | false alarms {fa} ({pct(fa, len(rs))}){note} "
                f"| matches {pct(ok, len(rs))} |"
            )
        else:
            caught = sum(1 for r in rs if r[1] not in ("matches",))
            exact = sum(1 for r in rs if r[1] == r[0].expected)
            print(f"| {kind} | {len(rs)} | {pct(caught, len(rs))} | {pct(exact, len(rs))} |")

    print("\n## By distortion\n")
    print("| distortion | photos | tampered caught | genuine false alarms |")
    print("|---|---|---|---|")
    by_d: dict[str, list] = defaultdict(list)
    for row in rows:
        for part in row[0].distortion.label.split("+"):
            by_d[part].append(row)
    for label in sorted(by_d):
        rs = by_d[label]
        tampered = [r for r in rs if r[0].expected != "matches"]
        genuine = [r for r in rs if r[0].expected == "matches"]
        caught = sum(1 for r in tampered if r[1] != "matches")
        fa = sum(1 for r in genuine if r[1] not in ("matches", "unreadable"))
        print(f"| {label} | {len(rs)} | {pct(caught, len(tampered))} | {pct(fa, len(genuine))} |")

    bare_t = sorted(r[2] for r in rows)
    pipe_t = sorted(r[3] for r in rows)

    def p95(xs: list[float]) -> float:
        return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]

    print("\n## Time per photo (one OCR thread)\n")
    print("| | median | p95 | mean |")
    print("|---|---|---|---|")
    print(
        f"| bare OCR (RapidOCR on the photo) | {statistics.median(bare_t):.2f} s "
        f"| {p95(bare_t):.2f} s | {statistics.mean(bare_t):.2f} s |"
    )
    print(
        f"| inspection pipeline | {statistics.median(pipe_t):.2f} s | {p95(pipe_t):.2f} s "
        f"| {statistics.mean(pipe_t):.2f} s |"
    )
    ratio = statistics.median(r[3] / r[2] for r in rows)
    print(f"| ratio pipeline / bare (median of per-photo ratios) | {ratio:.2f} | | |")

    if args.tesseract:
        print("\n## Engine comparison on the same straightened photos\n")
        print("| engine | photos | characters read | median time | verdicts as expected |")
        print("|---|---|---|---|---|")
        tess = TesseractEngine()
        sample = [c for c in cases if c[2].tamper in ("", "amount")][: args.tesseract]
        for eng in (engine, tess):
            accs, times, good = [], [], 0
            for contract, _pdf, case in sample:
                page = contract.pages[case.page] if case.tamper == "" else None
                sheet = read_sheet(decode(case.photo))
                a = time.perf_counter()
                lines = eng.read(sheet.page)
                times.append(time.perf_counter() - a)
                if page is not None:
                    truth = "".join(significant_char(ch) for ch in "".join(page))
                    got = "".join(significant_char(ch) for ln in lines for ch in ln.text)
                    accs.append(char_accuracy(truth, got))
                r = inspect(case.photo, originals[id(contract)], eng, t)
                good += r.verdict == case.expected
            acc = f"{100 * statistics.mean(accs):.1f} %" if accs else "-"
            print(
                f"| {eng.name} | {len(sample)} | {acc} | {statistics.median(times):.2f} s "
                f"| {good}/{len(sample)} |"
            )


if __name__ == "__main__":
    main()
