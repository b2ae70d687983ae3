"""Turn the file names and URIs that scanners write into the project-relative paths Findings carry.

Every reader sends its paths through `project_path`, so two scanners naming the same file the
same way ("./a.py", "/abs/root/a.py", "file:///abs/root/a.py") yield one path. This module
must never touch the file system beyond resolving symlinks, and never guess a root.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

_WINDOWS_DRIVE = re.compile(r"^/?[A-Za-z]:/")


def path_from_uri(uri: str) -> str | None:
    """The file path a SARIF URI reference names, or None when it names no local file.

    Relative references and file:// URIs are percent-decoded; other schemes (https:, ...) are
    not files in the project.
    """
    parts = urlsplit(uri)
    if _WINDOWS_DRIVE.match(uri):  # "C:/x.py" parses as scheme "c"
        return unquote(uri)
    if parts.scheme == "file":
        path = unquote(parts.path)
        if _WINDOWS_DRIVE.match(path):
            return path.lstrip("/")
        if parts.netloc and parts.netloc != "localhost":
            return f"//{parts.netloc}{path}"
        return path
    if parts.scheme:
        return None
    return unquote(uri)


def project_path(path: str, root: Path) -> str:
    """A POSIX path relative to root, or an absolute one when the file lies outside root."""
    posix = path.replace("\\", "/")
    if Path(posix).is_absolute() or posix.startswith("/"):
        absolute = Path(posix).resolve()
        try:
            return absolute.relative_to(root.resolve()).as_posix()
        except ValueError:
            return absolute.as_posix()
    if _WINDOWS_DRIVE.match(posix):  # a Windows path read on POSIX cannot lie under root
        return posix
    relative = posixpath.normpath(posix)
    if relative == ".." or relative.startswith("../"):
        return (root / relative).resolve().as_posix()
    return relative
