"""`harden attest [PATH]`: record what the server's files are, so the running server can be held
to the code that was reviewed; `--verify` checks them, for CI and deploy scripts.

It writes `harden-attestation.json` in PATH: the sha256 of every file of the server Python would
import there (the runtime's `attestation_files` says which: the same rule the hardened server
checks itself with at start-up under HARDEN_ATTESTATION), one digest over them, harden's version
and the git commit. `--did-web DOMAIN` also writes `did.json`, the did:web document to publish
carrying that digest. It reads the server's files and never changes them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import typer

from harden import __version__
from harden.cli.common import HardenError, out

ATTESTATION_FILENAME = "harden-attestation.json"
DID_FILENAME = "did.json"
_DID_CONTEXT = "https://www.w3.org/ns/did/v1"
# The terms the attestation service adds to the DID vocabulary, as IRIs of harden's own.
_TERMS = {
    "MCPServerAttestation": "urn:mcp-harden:MCPServerAttestation",
    "digestSha256": "urn:mcp-harden:digestSha256",
    "fileCount": "urn:mcp-harden:fileCount",
    "generator": "urn:mcp-harden:generator",
    "commit": "urn:mcp-harden:commit",
}
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"({_LABEL}(?:\.{_LABEL})*)(?::(\d{{1,5}}))?((?:/[A-Za-z0-9._~-]+)*)/?")


def attest(
    path: Annotated[
        Path, typer.Argument(help="The server's project folder (default: here).")
    ] = Path("."),
    did_web: Annotated[
        str | None,
        typer.Option(
            "--did-web",
            metavar="DOMAIN",
            help="Also write did.json, the did:web document to publish at "
            "https://DOMAIN/.well-known/did.json (DOMAIN may carry a port and a path).",
        ),
    ] = None,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Check the files against PATH's harden-attestation.json instead of writing "
            "it: exit 0 when they match, 1 listing each file that differs.",
        ),
    ] = False,
) -> None:
    """Record the sha256 of every file of the server (or check them with --verify)."""
    from harden import runtime  # the one rule for which files count, shared with the server

    root = path.resolve()
    if not root.is_dir():
        raise HardenError(f"{path}: not a directory")
    attestation = root / ATTESTATION_FILENAME
    if verify:
        if did_web is not None:
            raise HardenError("--did-web writes a document; it does not go with --verify")
        try:
            differences = runtime.attestation_differences(str(attestation))
        except runtime.AttestationError as error:
            raise HardenError(str(error)) from None
        if differences:
            for kind, file in differences:
                out.print(f"{kind}: {file}", markup=False, highlight=False)
            out.print(f"{len(differences)} file(s) differ from {attestation}", style="red")
            raise typer.Exit(1)
        out.print(f"every file matches {attestation}", style="green")
        return
    web = _DidWeb.parse(did_web) if did_web is not None else None  # bad input: before writing
    files = runtime.attestation_digests(str(root), runtime.attestation_files(str(root)))
    digest = runtime.attestation_digest(files)
    record = {
        "version": runtime.ATTESTATION_VERSION,
        "generator": f"harden {__version__}",
        "commit": _commit(root),
        "algorithm": "sha256",
        # sha256 of the lines `<sha256>  <path>` of the files, in this order (sha256sum's)
        "digest": digest,
        "files": [{"path": name, "sha256": files[name]} for name in sorted(files)],
    }
    attestation.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    out.print(f"wrote {attestation}: {len(files)} file(s), digest sha256:{digest}")
    if web is not None:
        document = web.document(digest, len(files), record["commit"])
        (root / DID_FILENAME).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        out.print(f"wrote {root / DID_FILENAME}: publish it at {web.url}")


def _commit(root: Path) -> str | None:
    """The commit checked out in `root`'s repository, or None outside one."""
    import git

    try:
        return git.Repo(root, search_parent_directories=True).head.commit.hexsha
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError):
        return None  # not a repository, or one without a commit yet


@dataclass(frozen=True)
class _DidWeb:
    """A did:web identifier: its host, port and path, as `--did-web` gave them."""

    host: str
    port: str | None
    segments: tuple[str, ...]

    @classmethod
    def parse(cls, domain: str) -> _DidWeb:
        match = _DOMAIN.fullmatch(domain.strip())
        port = match.group(2) if match else None
        if match is None or len(match.group(1)) > 253 or (port and not 0 < int(port) < 65536):
            raise HardenError(
                f"--did-web {domain!r}: expected a domain name, optionally with :PORT and /PATH "
                "(example.com, example.com:8443/mcp)"
            )
        segments = tuple(segment for segment in match.group(3).split("/") if segment)
        return cls(match.group(1).lower(), port, segments)

    @property
    def authority(self) -> str:
        return f"{self.host}:{self.port}" if self.port else self.host

    @property
    def url(self) -> str:
        """Where did:web resolves the document (the DID method's rule)."""
        where = "/".join(self.segments) if self.segments else ".well-known"
        return f"https://{self.authority}/{where}/{DID_FILENAME}"

    def document(self, digest: str, file_count: int, commit: str | None) -> dict[str, Any]:
        """The DID document naming the attested server's digest as a service."""
        port = quote(f":{self.port}") if self.port else ""
        did = ":".join(["did:web", self.host + port, *self.segments])
        service: dict[str, Any] = {
            "id": f"{did}#mcp-server-attestation",
            "type": "MCPServerAttestation",
            "serviceEndpoint": f"https://{self.authority}/.well-known/{ATTESTATION_FILENAME}",
            "digestSha256": digest,
            "fileCount": file_count,
            "generator": f"harden {__version__}",
        }
        if commit:
            service["commit"] = commit
        return {"@context": [_DID_CONTEXT, dict(_TERMS)], "id": did, "service": [service]}
