"""Writing a file without ever leaving it half-written, as the core's ``write_atomic`` does for what it writes.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "out.txt")
>>> write_atomic(path, b"hello\\n")
>>> open(path, "rb").read()
b'hello\\n'
"""

from __future__ import annotations

import os
import tempfile


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it, renamed over it; on failure nothing is left.

    A symbolic link is followed (its target is written, the link stays), and a device or pipe such as
    ``/dev/stdout`` is written in place. An ``OSError`` names ``path``.
    """
    target = os.path.realpath(path)
    try:
        if os.path.exists(target) and not os.path.isfile(target):
            with open(target, "wb") as f:
                f.write(data)
            return
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=f".{os.path.basename(target)}.")
        try:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # as open() would make it, not mkstemp's 0600
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as e:
        if e.filename is None:
            e.filename = os.fspath(path)
        raise
