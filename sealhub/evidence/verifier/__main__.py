"""`python -m sealhub.evidence.verifier PACKAGE.zip`: prints the verdict; exit 0 if valid."""

from __future__ import annotations

import sys

from sealhub.evidence.verifier.package import verify_package


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m sealhub.evidence.verifier PACKAGE.zip", file=sys.stderr)
        return 2
    verdict = verify_package(argv[0])
    print(verdict.render())
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
