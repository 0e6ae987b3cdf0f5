"""The one way the app writes a file: private from its first byte, whole or not at all.

Every file the app produces (settings, vault exports, transcript exports, incident reports,
the TOKEN_A file of `invite --token-a-out`, the sandbox's certificates) goes through
`write_private`: a temp file created with mode 0600 beside the target, fsync, os.replace.
So no other user can read the content at any moment, even when a world-readable file
already sits at the target (it is replaced, never rewritten in place: whoever holds the
old file, or a hard link to it, never sees the new content), and a crash leaves the old
file or the new one, never half of either.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def write_private(path: Path | str, data: bytes | str) -> None:
    """Write `data` (str as UTF-8) to `path` atomically, mode 0600 (see the module doc).

    The parent directory must exist; OSError as the OS raises it (the target untouched).
    """
    import tempfile  # (random): loaded by the first write; reading settings needs none

    target = Path(path)
    content = data.encode("utf-8") if isinstance(data, str) else data
    # mkstemp creates the file O_EXCL with mode 0600 whatever the umask.
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_directory(target.parent)


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable where the platform allows opening a directory."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
