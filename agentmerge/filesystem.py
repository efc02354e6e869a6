"""Files at the two ends of every command: input bytes in, outputs written atomically.

Every command reads its inputs with ``read_bytes`` and writes with ``write_atomic``: a temporary
file in the same directory, then a rename, so a reader never sees half a file and a failure
leaves the old file as it was. Outputs go only to regular files or new paths; devices, FIFOs,
sockets and directories are refused rather than replaced.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from agentmerge.errors import InputError, OutputError

STDIN = "<stdin>"
"""How standard input (``-``) is named in models and messages."""


MAX_FILE_BYTES = 512 * 1024
"""Largest agent file read, in bytes (512 KiB); a larger one is refused (exit 2).

The largest of a thousand real agent files is 64 KB, and Claude Code warns at 40,000 characters
of CLAUDE.md. What costs time beyond this is markdown-it-py's own block parsing (about 100,000
list items a second at best), so no input makes a command spend minutes on it.
"""


def read_bytes(path: str | Path) -> bytes:
    """The bytes of the file at ``path``; ``-`` is standard input.

    Only a regular file is read (and ``/dev/null``, which git hands its diff driver for a side that
    does not exist): a FIFO, device, socket or directory is refused at once, without waiting for a
    writer or reading without end. At most MAX_FILE_BYTES are read, from a file or from standard
    input. Raises InputError naming the path and what to do.
    """
    name = str(path)
    if name == "-":
        import sys

        return _read_capped(sys.stdin.buffer.read, name)
    if name == os.devnull:
        return b""
    # O_NONBLOCK: opening a FIFO nobody writes to returns at once instead of waiting.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        handle = os.open(name, flags)
    except FileNotFoundError:
        raise InputError(name, 0, broken_link(name) or "no such file; check the path") from None
    except IsADirectoryError:
        raise InputError(name, 0, "is a directory, not an agent file") from None
    except OSError as exc:
        if (problem := broken_link(name)) is not None:
            raise InputError(name, 0, problem) from None
        with contextlib.suppress(OSError):
            _refuse_non_regular(name, os.stat(name).st_mode)  # a socket cannot be opened at all
        raise InputError(name, 0, f"cannot be read ({exc.strerror or exc}); check its permissions") from None
    mode = os.fstat(handle).st_mode
    if not stat.S_ISREG(mode):
        os.close(handle)
        _refuse_non_regular(name, mode)
    with open(handle, "rb", closefd=True) as stream:
        try:
            return _read_capped(stream.read, name)
        except OSError as exc:
            raise InputError(name, 0, f"cannot be read ({exc.strerror or exc}); check its permissions") from None


def broken_link(name: str) -> str | None:
    """What is wrong with ``name`` when it is a symbolic link that leads to nothing (a loop, or a
    path that does not exist), said as an error's end; None for any other path."""
    if not os.path.islink(name):
        return None
    try:
        os.stat(name)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a loop of symbolic links; check the path"
        if exc.errno == errno.ENOENT:
            with contextlib.suppress(OSError):
                return f"is a symbolic link to {os.readlink(name)}, which does not exist; check the path"
    return None


def _refuse_non_regular(name: str, mode: int) -> None:
    """Raise InputError naming what ``name`` is when it is not a regular file."""
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise InputError(name, 0, "is a directory, not an agent file")
    kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
    raise InputError(name, 0, f"is {kind}, not a regular file; to read a stream, pipe it to - (standard input)")


def _read_capped(read: Any, name: str) -> bytes:
    """Read with ``read(size)`` up to MAX_FILE_BYTES; an InputError when there is more."""
    data: bytes = read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise InputError(name, 0, too_large())
    return data


def too_large() -> str:
    """The message for an input over MAX_FILE_BYTES."""
    return f"is larger than {MAX_FILE_BYTES // 1024} KiB, the most agentmerge reads; no agent prompt is this large"


def same_file(a: str, b: str) -> bool:
    """Whether two paths name one file: the same file on disk, or one new path spelled two ways."""
    if a == "-" or b == "-":
        return False
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def refuse_inputs(target: str, inputs: Iterable[str]) -> None:
    """Stop before an output overwrites one of the ``inputs`` (``--force`` skips this check)."""
    for path in inputs:
        if same_file(target, path):
            raise OutputError(target, 0, "is one of the inputs; choose another output path or pass --force")


def inside(path: str, folder: str) -> bool:
    """Whether the real ``path`` is in the real ``folder`` or below it."""
    try:
        return os.path.commonpath((folder, path)) == folder
    except ValueError:  # on another drive
        return False


def refuse_link_out(path: str) -> None:
    """Stop before rewriting ``path`` in place when a symbolic link (the file's own, or a folder's
    on its way) leads it to a file outside the current folder: files named on the command line
    may come from a stranger's checkout (a pre-commit hook passes them), and a link could make
    ``fmt`` rewrite any file of the machine. A path named outside the current folder is the
    user's own, links and all."""
    if path == "-" or not inside(os.path.abspath(path), os.path.abspath(os.curdir)):
        return
    real = os.path.realpath(path)
    if inside(real, os.path.realpath(os.curdir)):
        return
    raise OutputError(
        path, 0, f"leads through a symbolic link to {real}, outside the current folder; not rewritten: name that file"
    )


_FILE_KINDS = (
    (stat.S_ISDIR, "a directory; name a file inside it or a new path"),
    (stat.S_ISFIFO, "a FIFO, not a regular file; write to a regular file or a new path"),
    (stat.S_ISCHR, "a character device, not a regular file; write to a regular file or a new path"),
    (stat.S_ISBLK, "a block device, not a regular file; write to a regular file or a new path"),
    (stat.S_ISSOCK, "a socket, not a regular file; write to a regular file or a new path"),
)


def check_output_path(
    path: str, *, printed: str = "leave -o out to write to standard output", folder: bool = False
) -> None:
    """Refuse an output path that is neither a regular file nor a new path.

    Devices, FIFOs, sockets and directories are refused rather than replaced by a regular file,
    and so is anything under /dev or /proc (``/dev/stdout`` included); ``printed`` says how to
    print instead (by default: leave ``-o`` out). With ``folder``, a new path whose folder does
    not exist is refused too, so a command checks it before its work rather than after.
    """
    for spelled in _spellings(path):
        if spelled in ("/dev", "/proc") or spelled.startswith(("/dev/", "/proc/")):
            raise OutputError(path, 0, f"is a device path, not a regular file; {printed}")
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        parent = os.path.dirname(os.path.abspath(path))
        if folder and not os.path.isdir(parent):
            raise OutputError(path, 0, f"cannot be written: its folder {parent} does not exist; create it") from None
        return
    except OSError as exc:
        raise OutputError(path, 0, f"cannot be written ({exc.strerror or exc}); check the path") from None
    for test, kind in _FILE_KINDS:
        if test(mode):
            raise OutputError(path, 0, f"is {kind}")
    if not stat.S_ISREG(mode):
        raise OutputError(path, 0, "is not a regular file; write to a regular file or a new path")


def _spellings(path: str) -> list[str]:
    """Every absolute path ``path`` goes through: itself, each symbolic link it leads to, and where
    it ends. ``/dev/stdout`` leads through ``/proc/self/fd/1`` to whatever standard output is, so
    the end alone does not show that it was a device path."""
    hop = os.path.abspath(path)
    seen = [hop]
    while os.path.islink(hop) and len(seen) < 40:
        try:
            hop = os.path.normpath(os.path.join(os.path.dirname(hop), os.readlink(hop)))
        except OSError:
            break
        seen.append(hop)
        seen.append(os.path.join(os.path.realpath(os.path.dirname(hop)), os.path.basename(hop)))
    seen.append(os.path.realpath(path))
    return seen


@contextlib.contextmanager
def _termination_raises() -> Iterator[None]:
    """Make SIGTERM and SIGHUP raise SystemExit(128 + signal) for a while, so ``finally`` blocks run.

    Their default action ends the process at once, which would leave a temporary file behind;
    SIGINT already raises KeyboardInterrupt. Signal handlers can only be set in the main thread;
    elsewhere the defaults stay.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous: dict[int, Any] = {}
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            previous[number] = signal.signal(number, stop)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)


_TEMPORARY_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _create_temporary(directory: str, base: str) -> tuple[int, str]:
    """Create a new file ``.BASE.RANDOM.tmp`` in ``directory``, readable by the owner only, as
    ``tempfile.mkstemp`` does, without importing ``tempfile`` (milliseconds of every start-up)."""
    for _ in range(100):
        temp = os.path.join(directory, f".{base}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(temp, _TEMPORARY_FLAGS, 0o600), temp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {directory}")


def write_atomic(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory and a rename, so a
    reader never sees half a file and a failure leaves the old file as it was.

    ``path`` must be a regular file or a new path (``check_output_path``). A symbolic link is
    followed, so the file it points to is replaced and the link stays. A new file gets the
    permissions the umask allows; a replaced one keeps its own, and its owner and group where
    the system lets them be given (as root). A hard link to the old file keeps the old text. The
    temporary file is removed on any failure, Ctrl-C and SIGTERM included. A lone surrogate in
    ``text`` (a bad byte that ``parse.decode`` kept with ``keep_bytes``) is written as the byte
    it stands for. ``encoding`` is UTF-8 unless the file is written back in its own
    (``parse.written_as``).
    """
    name = str(path)
    check_output_path(name)
    target = os.path.realpath(name) if os.path.islink(name) else os.path.abspath(name)
    directory = os.path.dirname(target)
    temp = ""
    with _termination_raises():
        try:
            handle, temp = _create_temporary(directory, os.path.basename(target))
            with os.fdopen(handle, "w", encoding=encoding, errors="surrogateescape", newline="") as stream:
                stream.write(text)
            if os.path.exists(target):
                before = os.stat(target)
                if hasattr(os, "chown") and (before.st_uid, before.st_gid) != (os.getuid(), os.getgid()):
                    # Run as root over someone's checkout (a CI container, a pre-commit hook), the
                    # file stays its owner's; a user who may not give it away keeps it as it was.
                    with contextlib.suppress(OSError):
                        os.chown(temp, before.st_uid, before.st_gid)
                os.chmod(temp, before.st_mode & 0o7777)
            else:
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(temp, 0o666 & ~umask)
            os.replace(temp, target)
        except BaseException as exc:
            if temp:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
            if isinstance(exc, OSError):
                raise OutputError(name, 0, f"cannot be written ({exc.strerror or exc}); check the path") from None
            raise
