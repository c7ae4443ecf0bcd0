"""The OCR port and its adapters: RapidOCR (ONNX Runtime, models in the wheel) and
Tesseract (Debian `tesseract-ocr-chi-sim`, for the engine comparison).

Each engine runs on ONE thread: on a 2-core machine shared by several workers, ONNX Runtime's
default pool (one thread per core, spinning) oversubscribes the CPU and costs up to 30x.
Parallelism comes from running more workers, never from more threads inside one.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class OcrLine:
    """One line of text and its box (x0, y0, x1, y1) in the image's pixels."""

    text: str
    box: tuple[float, float, float, float]
    score: float


class OcrEngine(Protocol):
    name: str

    def read(self, image: Image) -> list[OcrLine]:
        """The lines of text in a BGR image, top to bottom."""
        ...


def pin_threads() -> None:
    """Keep OpenCV and OpenMP-based code on one thread in this process."""
    import cv2

    cv2.setNumThreads(1)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")


class RapidOcrEngine:
    """RapidOCR 3 on ONNX Runtime, one intra-op and one inter-op thread.

    The angle classifier is off: the photo pipeline already straightens the page."""

    name = "rapidocr"

    def __init__(self, *, use_cls: bool = False) -> None:
        self._use_cls = use_cls
        self._engine: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        if self._engine is None:
            pin_threads()
            from rapidocr import RapidOCR

            self._engine = RapidOCR(
                params={
                    "Global.log_level": "error",
                    "Global.use_cls": self._use_cls,
                    "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                }
            )
        return self._engine

    def session_threads(self) -> list[tuple[int, int]]:
        """(intra, inter) op threads of each ONNX Runtime session the engine holds."""
        engine = self._get()
        found: list[tuple[int, int]] = []
        for part in ("text_det", "text_cls", "text_rec"):
            holder = getattr(engine, part, None)
            sess = getattr(getattr(holder, "session", None), "session", None)
            if sess is None:
                continue
            opts = sess.get_session_options()
            found.append((opts.intra_op_num_threads, opts.inter_op_num_threads))
        return found

    def read(self, image: Image) -> list[OcrLine]:
        with self._lock:  # one inference at a time per engine: one thread, as promised
            result = self._get()(image)
        boxes = getattr(result, "boxes", None)
        if boxes is None:
            return []
        lines = []
        for box, text, score in zip(boxes, result.txts, result.scores, strict=False):
            xs = [float(p[0]) for p in box]
            ys = [float(p[1]) for p in box]
            lines.append(OcrLine(str(text), (min(xs), min(ys), max(xs), max(ys)), float(score)))
        lines.sort(key=lambda ln: (round(ln.box[1] / 12), ln.box[0]))
        return lines


class TesseractEngine:
    """Tesseract with chi_sim+eng, `--psm 6`, OMP_THREAD_LIMIT=1 (11 s -> 2 s per page)."""

    name = "tesseract"

    def read(self, image: Image) -> list[OcrLine]:
        import cv2

        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "page.png")
            cv2.imwrite(path, image)
            env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
            out = subprocess.run(  # noqa: S603 - fixed argv, our own temp file
                [  # noqa: S607 - Debian puts tesseract on PATH
                    "tesseract",
                    path,
                    "-",
                    "-l",
                    "chi_sim+eng",
                    "--psm",
                    "6",
                    "tsv",
                ],
                capture_output=True,
                env=env,
                check=True,
                timeout=120,
            ).stdout.decode("utf-8", "replace")
        words: dict[tuple[str, str, str], list[tuple[str, tuple[float, ...], float]]] = {}
        for row in out.splitlines()[1:]:
            cols = row.split("\t")
            if len(cols) < 12 or not cols[11].strip():
                continue
            key = (cols[2], cols[3], cols[4])
            x, y, w, h = (float(c) for c in cols[6:10])
            words.setdefault(key, []).append((cols[11], (x, y, x + w, y + h), float(cols[10])))
        lines = []
        for parts in words.values():
            text = "".join(p[0] for p in parts)
            x0 = min(p[1][0] for p in parts)
            y0 = min(p[1][1] for p in parts)
            x1 = max(p[1][2] for p in parts)
            y1 = max(p[1][3] for p in parts)
            score = sum(p[2] for p in parts) / len(parts) / 100.0
            lines.append(OcrLine(text, (x0, y0, x1, y1), score))
        return lines


_default: RapidOcrEngine | None = None


def default_engine() -> RapidOcrEngine:
    """The process's engine (loaded once, on first use)."""
    global _default
    if _default is None:
        _default = RapidOcrEngine()
    return _default
