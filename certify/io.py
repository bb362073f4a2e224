"""File I/O for networks and outputs: reading a network file by extension, and atomic writes.

:mod:`certify.network` is the pure model (no files); :mod:`certify.onnx_io` translates ONNX
models. This module sits above both, so neither imports the other for file access:

* :func:`load_network` — ``.onnx`` (by extension, case-insensitive) through
  :func:`certify.onnx_io.load_onnx`, anything else as robustmem-network/1 JSON;
* :func:`save_network` — robustmem-network/1 JSON, :func:`save_onnx` — ONNX float64;
* :func:`atomic_write_text` / :func:`atomic_write_bytes` — a temp file in the target's
  directory, fsync, then ``os.replace``: a failed write leaves the destination untouched.

Every problem is an :class:`~certify.errors.InputError` whose message starts with the path.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

from certify.errors import InputError
from certify.network import Network
from certify.numbers import _str_to_int
from certify.onnx_io import OnnxExport, load_onnx, network_to_onnx

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "load_network",
    "save_network",
    "save_onnx",
]


def load_network(path: str | os.PathLike[str]) -> Network:
    """Read a network file: ``.onnx`` by extension (see :mod:`certify.onnx_io`), otherwise
    robustmem-network/1 JSON. Any problem raises :class:`InputError` prefixed by the path."""
    if Path(path).suffix.lower() == ".onnx":
        return load_onnx(path)
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


def save_network(net: Network, path: str | os.PathLike[str]) -> None:
    """Write ``net`` as robustmem-network/1 JSON (its canonical text), atomically."""
    atomic_write_text(path, net.to_json_text())


def save_onnx(net: Network, path: str | os.PathLike[str]) -> OnnxExport:
    """Write ``net`` as ONNX atomically (temp file, then rename); returns the exactness report."""
    model, rep = network_to_onnx(net)
    atomic_write_bytes(path, model.SerializeToString(deterministic=True))
    return rep


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: temp file in the same directory, fsync, then
    ``os.replace``. On failure the destination is untouched and the temp file removed; an OS
    error (missing directory, no permission, target is a directory) becomes
    :class:`InputError`.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as e:
        raise InputError(f"cannot write {os.fspath(path)}: {e}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual file mode
        os.replace(tmp, target)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise InputError(f"cannot write {os.fspath(path)}: {e}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    """The process umask (read once: os.umask can only be read by setting it)."""
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK


_UMASK: int | None = None
