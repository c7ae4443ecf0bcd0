"""Where the shared corpus sits: `shared/corpus` beside the repository (CI, /work/main), or
beside one of its parents (a worktree under /work/wt/). Read in place, never copied."""

from __future__ import annotations

from pathlib import Path


def corpus(name: str) -> Path:
    repo = Path(__file__).resolve().parents[2]
    for parent in repo.parents:
        candidate = parent / "shared" / "corpus" / name
        if candidate.is_dir():
            return candidate
    return repo.parent / "shared" / "corpus" / name
