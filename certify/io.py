"""File I/O for networks and outputs: reading a network file by extension, and atomic writes.

:mod:`certify.network` is the pure model (no files); :mod:`certify.onnx_io` translates ONNX
models. This module sits above both, so neither imports the other for file access:

* :func:`load_network` — ``.onnx`` (by extension, case-insensitive) through
  :func:`certify.onnx_io.load_onnx`, anything else as robustmem-network/1 JSON;
* :func:`save_network` — robustmem-network/1 JSON, :func:`save_onnx` — ONNX float64;
* :func:`write_output` — the one writer of every output file of every command: refuses the
  command's input files, directories, devices, FIFOs, read-only files and missing or
  read-only directories (one-line :class:`InputError`), writes a temp file in the target's
  directory, fsyncs it and renames it over the target (symlinks followed: the link's target
  file is replaced); :func:`check_output` makes the same checks up front;
  :func:`atomic_write_text` / :func:`atomic_write_bytes` are its text/bytes spellings and
  :func:`protect_inputs` declares a command's inputs for every write inside it.

Every problem is an :class:`~certify.errors.InputError` whose message starts with the path.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from certify.errors import InputError
from certify.network import Network
from certify.numbers import _str_to_int
from certify.onnx_io import OnnxExport, load_onnx, network_to_onnx

PathLike = str | os.PathLike

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "check_output",
    "load_network",
    "protect_inputs",
    "save_network",
    "save_onnx",
    "write_output",
]


def load_network(path: str | os.PathLike[str]) -> Network:
    """Read a network file: ``.onnx`` by extension (see :mod:`certify.onnx_io`), otherwise
    robustmem-network/1 JSON. Any problem raises :class:`InputError` prefixed by the path."""
    if Path(path).suffix.lower() == ".onnx":
        return _load_onnx_file(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read network file {os.fspath(path)}: {e}") from None
    try:
        obj = json.loads(text, parse_int=_str_to_int)
    except json.JSONDecodeError as e:
        raise InputError(
            f"{os.fspath(path)}: not valid JSON: {e.msg} at line {e.lineno} column {e.colno}"
        ) from None
    except ValueError as e:
        raise InputError(f"{os.fspath(path)}: not valid JSON: {e}") from None
    try:
        return Network.from_json(obj)
    except InputError as e:
        raise InputError(f"{os.fspath(path)}: {e}") from None


def _load_onnx_file(path: str | os.PathLike[str]) -> Network:
    """:func:`load_onnx`, with what a user needs to hear for two common cases: an empty file
    (ONNX reads zero bytes as an empty model, "0 inputs") and a final ``Softmax``, which
    robustmem does not import but which can be dropped without changing the argmax."""
    shown = os.fspath(path)
    try:
        size = os.path.getsize(path)
    except OSError as e:
        raise InputError(f"cannot read network file {shown}: {e.strerror or e}") from None
    if size == 0:
        raise InputError(f"{shown}: the file is empty (0 bytes), not an ONNX model")
    try:
        return load_onnx(path)
    except InputError as e:
        text = str(e)
        if "the graph has 0 inputs" in text:
            raise InputError(
                f"{shown}: the ONNX model has no graph inputs (an empty or truncated model?)"
            ) from None
        if "unsupported ONNX operator 'Softmax'" in text or "'LogSoftmax'" in text:
            raise InputError(
                f"{text.split(';')[0]}; Softmax keeps the order of the logits, so "
                "dropping a final Softmax keeps the argmax: export the model without it "
                "(the logits) and certify that (the classifier's argmax property)"
            ) from None
        raise


def save_network(
    net: Network, path: str | os.PathLike[str], *, inputs: Iterable[PathLike] = ()
) -> None:
    """Write ``net`` as robustmem-network/1 JSON (its canonical text) with :func:`write_output`."""
    write_output(path, net.to_json_text(), inputs=inputs)


def save_onnx(
    net: Network, path: str | os.PathLike[str], *, inputs: Iterable[PathLike] = ()
) -> OnnxExport:
    """Write ``net`` as ONNX with :func:`write_output`; returns the exactness report."""
    model, rep = network_to_onnx(net)
    write_output(path, model.SerializeToString(deterministic=True), inputs=inputs)
    return rep


def atomic_write_text(
    path: str | os.PathLike[str], text: str, *, inputs: Iterable[PathLike] = ()
) -> None:
    """Write ``text`` (UTF-8) to ``path``: :func:`write_output`."""
    write_output(path, text, inputs=inputs)


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, *, inputs: Iterable[PathLike] = ()
) -> None:
    """Write ``data`` to ``path``: :func:`write_output`."""
    write_output(path, data, inputs=inputs)


# ------------------------------------------------------------------------- the one writer
_PROTECTED: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "robustmem_protected_inputs", default=()
)


@contextlib.contextmanager
def protect_inputs(paths: Iterable[PathLike | None]) -> Iterator[None]:
    """While the block runs, every :func:`write_output` also refuses ``paths`` (the running
    command's input files) as targets, as if they were passed as its ``inputs``. The CLI
    wraps each command in it, so a writer deep in the library needs no list of its own."""
    token = _PROTECTED.set(_PROTECTED.get() + tuple(os.fspath(p) for p in paths if p))
    try:
        yield
    finally:
        _PROTECTED.reset(token)


def check_output(path: PathLike, *, inputs: Iterable[PathLike | None] = ()) -> Path:
    """The file :func:`write_output` would replace for ``path`` (symlinks resolved), after
    every check it makes: an :class:`InputError` (one line, starting with ``path``) unless

    * ``path`` is not empty and does not resolve (:func:`os.path.realpath`, or
      :func:`os.path.samefile` for hard links) to one of ``inputs`` or of the inputs
      declared by :func:`protect_inputs`;
    * it does not exist, or is a regular file that is not read-only (a directory, a device
      such as ``/dev/null`` or ``/dev/full``, a FIFO or a socket is refused, never replaced);
    * its directory exists and is writable.

    Commands call it before long work, so a bad ``-o`` fails at once."""
    shown = os.fspath(path)
    if not shown:
        raise InputError("an output path is empty; give a file name")
    real = os.path.realpath(shown)  # follows every symlink, even a dangling one's target
    via = "" if real == os.path.abspath(shown) else f" (a symlink to {real})"
    for inp in (*(os.fspath(p) for p in inputs if p), *_PROTECTED.get()):
        if os.path.realpath(inp) == real or _samefile(inp, real):
            raise InputError(
                f"{shown}{via}: refusing to write over {inp}, an input of this command; "
                "choose another output file"
            )
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise InputError(f"cannot write {shown}{via}: {e.strerror or e}") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{shown}{via}: is a directory; give a file name for the output")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(
                f"{shown}{via}: is a {_kind(st.st_mode)}, not a regular file; refusing to "
                "replace it (write to a regular file instead)"
            )
        if not os.access(real, os.W_OK):
            raise InputError(f"{shown}{via}: the file is read-only; refusing to replace it")
    parent = os.path.dirname(real) or "."
    if not os.path.isdir(parent):
        what = "is not a directory" if os.path.exists(parent) else "does not exist"
        raise InputError(f"{shown}: the directory {os.path.dirname(shown) or parent} {what}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"{shown}: the directory {parent} is not writable (permission denied)")
    return Path(real)


def write_output(
    path: PathLike,
    data: bytes | str | Callable[[Path], object],
    *,
    inputs: Iterable[PathLike | None] = (),
) -> Path:
    """Write one output file of a command — every command writes through this function.

    ``data`` is bytes, text (UTF-8), or a function that writes the file at the path it is
    given (a plot). After :func:`check_output` (which refuses the command's ``inputs``,
    directories, devices, FIFOs, read-only files and a missing or read-only directory, each
    with a one-line :class:`InputError`, so the CLI exits 3), the content goes to a fresh
    temporary file in the target's directory, is fsynced, and is renamed over the target
    (``os.replace``): a failed or interrupted write leaves the old file untouched and no
    temporary file behind.

    Symlinks are followed deliberately: for ``path`` a symlink (or a chain of them), the
    file it points to is replaced and the link is kept, so the link shows the new content
    (a dangling link's target is created). An existing file keeps its permission bits; a new
    one gets 0666 minus the umask. Returns the path written (symlinks resolved)."""
    target = check_output(path, inputs=inputs)
    shown = os.fspath(path)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = 0o666 & ~_umask()
    suffix = target.suffix if callable(data) else ""  # a plot's writer reads the suffix
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=f".tmp{suffix}", dir=target.parent
        )
    except OSError as e:
        raise InputError(f"cannot write {shown}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            if not callable(data):
                fh.write(data.encode("utf-8") if isinstance(data, str) else data)
                fh.flush()
                os.fsync(fh.fileno())
        if callable(data):
            data(Path(tmp))
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)  # mkstemp makes 0600
        os.replace(tmp, target)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise InputError(f"cannot write {shown}: {e.strerror or e}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


def _samefile(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISFIFO, "FIFO (named pipe)"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "special file"


def _umask() -> int:
    """The process umask (read once: os.umask can only be read by setting it)."""
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK


_UMASK: int | None = None
