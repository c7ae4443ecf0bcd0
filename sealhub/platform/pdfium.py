"""PDFium (pypdfium2) is not thread-safe: two threads in it at once crash the process
(seen in the suite: inspection jobs reading two documents in `asyncio.to_thread`). Every
use of pypdfium2 in a process holds this lock, and does no other slow work while holding it."""

from __future__ import annotations

import threading

LOCK = threading.Lock()
