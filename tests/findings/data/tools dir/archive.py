"""A helper in a folder whose name has a space, so that URIs must percent-encode it."""

import subprocess


def archive(name: str) -> None:
    subprocess.call("tar czf " + name + ".tgz " + name, shell=True)


def extract(name: str) -> None:
    subprocess.call(
        "tar xzf " + name + ".tgz",
        shell=True,
    )
