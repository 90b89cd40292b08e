"""Output files written whole or not at all.

Every file fastroute writes (plots, sweep tables, exported resources, rendered
bird.cfg) goes through :func:`replace_atomically`: the content is written to a
temporary file in the same directory and moved over the target with
``os.replace``, so an error, a full disk or Ctrl-C half-way leaves the old file
(or no file), never a truncated one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator

from .errors import InvalidValueError, OutputFileError

__all__ = ["replace_atomically", "write_atomically", "check_writable"]


@contextlib.contextmanager
def replace_atomically(path: str | os.PathLike[str]) -> Iterator[str]:
    """Yield a temporary path next to `path` (same suffix); on success move it over `path`.

    On any exception the temporary file is removed and `path` is left as it was.
    """
    path = os.fspath(path)
    directory = os.path.dirname(path) or "."
    suffix = os.path.splitext(path)[1]
    try:
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=suffix, dir=directory)
    except OSError as e:
        raise OutputFileError(f"cannot write {path!r}: {e.strerror or e}") from None
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError) and not isinstance(e, OutputFileError):
            raise OutputFileError(f"cannot write {path!r}: {e.strerror or e}") from None
        raise


def write_atomically(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write `data` (str as UTF-8, or bytes) to `path` whole or not at all."""
    with replace_atomically(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)


def check_writable(path: str | os.PathLike[str], what: str = "output file") -> str:
    """InvalidValueError unless `path` can be created: its directory exists and is writable,
    and it is not a directory itself.  Checked before long work, so that it is not lost at the end."""
    path = os.fspath(path)
    directory = os.path.dirname(path) or "."
    if os.path.isdir(path):
        raise InvalidValueError(f"invalid {what} {path!r}: it is a directory")
    if not os.path.isdir(directory):
        raise InvalidValueError(f"invalid {what} {path!r}: no directory {directory!r}")
    if not os.access(directory, os.W_OK):
        raise InvalidValueError(f"invalid {what} {path!r}: directory {directory!r} is not writable")
    return path


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
