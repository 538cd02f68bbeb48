"""A training run's folder: one process at a time, files written whole, settings compared before a resume.

Used by :func:`vae_helpers.train` (its checkpoint folder) and by the training command (its ``--out`` folder).
Nothing here deletes a file the user made: a restart moves the old folder aside.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import hashlib
import json
import math
import os
import pathlib
import shutil
import socket

LOCK_FILE = ".lock"
TMP_PREFIX = ".tmp-"


class RunFolderError(RuntimeError):
    """A run folder is in use, damaged, or holds a run made with other settings; the message says what to do."""


def ways_out(folder: pathlib.Path) -> str:
    return (
        f"Either train into another folder (`--out` of the training command, `checkpoint_dir=` of vh.train), "
        f"or restart: `--restart` / `vh.train(..., restart=True)` moves {folder} aside to "
        f"{folder.name}.old-<date> (nothing is deleted) and trains from scratch."
    )


@contextlib.contextmanager
def exclusive(folder: pathlib.Path):
    """Hold ``folder`` for this process: a second process fails at once, naming the first.

    The lock is an ``flock`` on ``folder/.lock``, which the system releases when its process ends in any way
    (kill -9 included), so a lock left by a killed process is never in the way. The file is removed when the
    holder is done, so a finished run's folder holds only the run's own files.
    """
    path = folder / LOCK_FILE
    handle = _lock(path, folder)
    try:
        handle.write(
            f"process {os.getpid()} on {socket.gethostname()}, started "
            f"{datetime.datetime.now().isoformat(timespec='seconds')}"
        )
        handle.flush()
        yield
    finally:
        path.unlink(missing_ok=True)  # still held: whoever opens the path next gets a new file
        handle.close()


def _lock(path: pathlib.Path, folder: pathlib.Path):
    """Open and flock ``path``; retry if the file was replaced meanwhile (its holder removed it on release)."""
    import fcntl

    while True:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle = open(path, "a+")
        except OSError as err:
            raise RunFolderError(
                f"cannot write in {folder} ({err.strerror}): a run needs a folder it can write "
                "to. Choose another folder or fix its permissions."
            ) from err
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            if err.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            raise RunFolderError(
                f"{folder} is in use by {holder}: one training run per folder. Wait for it to finish, stop it, or "
                "train into another folder."
            ) from None
        try:
            same = os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino
        except FileNotFoundError:
            same = False
        if same:
            handle.seek(0)
            handle.truncate()
            return handle
        handle.close()


def move_aside(folder: pathlib.Path) -> pathlib.Path:
    """Rename ``folder`` to ``<folder>.old-<date and time>`` (held while it moves) and return the new path."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = folder.with_name(f"{folder.name}.old-{stamp}")
    counter = 1
    while target.exists():
        target = folder.with_name(f"{folder.name}.old-{stamp}-{counter}")
        counter += 1
    with exclusive(folder):
        folder.rename(target)
    (target / LOCK_FILE).unlink(missing_ok=True)  # it moved with the folder
    print(f"Moved the old run aside: {folder} -> {target}")
    return target


def _write_whole(path: pathlib.Path, write) -> None:
    """``write(tmp)`` to a temporary name in the same folder (keeping ``path``'s suffixes), then rename it to
    ``path``: the rename is atomic, so ``path`` is always either the old file or the whole new one."""
    tmp = path.with_name(f"{TMP_PREFIX}{os.getpid()}-{path.name}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as err:
        if err.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        raise RunFolderError(_disk_full(path, "No space left on device")) from None
    finally:
        tmp.unlink(missing_ok=True)


def file_digest(path: pathlib.Path) -> str:
    """SHA-256 of a file's bytes, hex: the training command records its weights' digest in ``metrics.json``, so
    a metrics file that is not of the weights beside it is detected."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def array_digest(array) -> str:
    """SHA-256 of a numpy array's shape, dtype and bytes, hex: what a run records of the images it trains on."""
    import numpy as np

    array = np.ascontiguousarray(array)
    return hashlib.sha256(f"{array.shape} {array.dtype}".encode() + array.tobytes()).hexdigest()


def _disk_full(path: pathlib.Path, detail: str) -> str:
    return (
        f"the disk holding {path.parent} is full: {path.name} could not be written ({detail}); the file is as "
        "it was before. Free some space and run the same command again (it resumes from the last whole "
        "checkpoint, if any)."
    )


def write_json(path: pathlib.Path, value) -> None:
    """Write ``value`` as JSON to ``path``, whole or not at all."""
    _write_whole(path, lambda tmp: tmp.write_text(json.dumps(value, indent=1)))


def save_weights(model, path: pathlib.Path) -> None:
    """``model.save_weights(path)`` whole or not at all: a failed write leaves the old file as it was.

    The free space is checked first (the arrays' bytes, optimizer state included, plus a tenth and 64 kB for the
    HDF5 structure): h5py, when the disk fills in the middle of a write, leaves a file object that crashes the
    interpreter at exit, so a write that cannot fit is refused before it starts (RunFolderError)."""
    variables = [*model.weights, *getattr(getattr(model, "optimizer", None), "variables", [])]
    needed = int(1.1 * sum(math.prod(v.shape) * _itemsize(v.dtype) for v in variables)) + 64 * 1024
    free = shutil.disk_usage(path.parent).free
    if free < needed:
        raise RunFolderError(_disk_full(path, f"about {needed / 1e6:.1f} MB needed, {free / 1e6:.1f} MB free"))
    _write_whole(path, model.save_weights)


def _itemsize(dtype) -> int:
    """Bytes per value of a Keras variable's dtype name ("float32", "bfloat16", "int64", ...)."""
    name = str(getattr(dtype, "name", dtype))
    return 8 if "64" in name else 2 if "16" in name else 1 if "8" in name and "128" not in name else 4


def differences(recorded: dict, current: dict) -> list[str]:
    """One line per setting whose recorded and current values differ (missing counts as different)."""
    lines = []
    for key in sorted(set(recorded) | set(current)):
        before, now = recorded.get(key, "(not recorded)"), current.get(key, "(not given)")
        if before != now:
            lines.append(f"{key}: {before!r} in the folder, {now!r} now")
    return lines
