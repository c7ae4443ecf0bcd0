#!/usr/bin/env bash
# Pre-release only: rebuild the single initial revision from the models.
# Once a release ships, add new revisions with `make migration m="..."` instead.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f migrations/versions/*_0001_initial.py
SEALHUB_DATABASE_URL="sqlite+aiosqlite:///$tmp/empty.db" .venv/bin/alembic revision --autogenerate --rev-id 0001 -m initial >/dev/null
# Downgrade drops whole tables in reverse order: MariaDB refuses to drop an index that
# backs a foreign key, and dropping the table drops its indexes anyway.
.venv/bin/python - <<'PY'
import glob, re
path = glob.glob("migrations/versions/*_0001_initial.py")[0]
src = open(path).read()
tables = re.findall(r'op\.create_table\(\s*["\x27]([a-z_]+)["\x27]', src)
head, _, _ = src.partition("def downgrade() -> None:")
body = "def downgrade() -> None:\n" + "".join(f'    op.drop_table("{t}")\n' for t in reversed(tables))
open(path, "w").write(head + body)
PY
.venv/bin/ruff format -q migrations/versions >/dev/null || true
rm -rf "$tmp"
ls migrations/versions
