"""Plugin references read the way the Buildkite agent reads them (its ``agent/plugin/plugin.go``).

The agent parses a step's plugin reference as a URL (Go's ``net/url``): the *location* is the
host and path (scheme, user and query dropped), the *version* is the fragment (``#v1.0.0``).
From those it derives three names this package needs to find its own entry in
``BUILDKITE_PLUGINS``:

* :func:`plugin_name` (``(*Plugin).Name``): the location's last segment, lower-cased, every
  character but ``a-z0-9`` to ``-``, ``-buildkite-plugin`` (and ``-buildkite-plugin-git``) cut
  out. ``ecr-cache-tui#v1``, ``github.com/org/ecr-cache-tui-buildkite-plugin#v1`` and
  ``file:///x/ecr-cache-tui`` are all ``ecr-cache-tui``. :func:`env_name` of it (the same,
  upper case, ``_`` for ``-``) is ``BUILDKITE_PLUGIN_NAME`` (agents v3.28 and later) and the
  prefix of the flattened variables (every agent).
* :func:`identifier` (``(*Plugin).Identifier``): the directory the agent clones the plugin into,
  under ``<plugins-path>/`` (``<plugins-path>/<agent name>/`` in later v3 releases): the
  reference with its version, every run of other characters to one ``-``
  (``github-com-org-ecr-cache-tui-buildkite-plugin-v1``). Unchanged from v3.0 to v4.
* :func:`checked_out_at`: whether the hook running from a directory is this reference's: the
  clone directory above (plus the reference's subdirectory, ``github.com/org/repo/sub``, for
  agents that support one); for a plugin vendored in the repository (``./plugins/x``), that
  directory of the checkout; for a local path (``/opt/x``, ``file:///opt/x``), which the agent
  clones like any repository, also that directory itself (a hook run in place).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ecr_cache_tui.records import Record

__all__ = [
    "Reference",
    "checked_out_at",
    "env_name",
    "identifier",
    "parse_reference",
    "plugin_name",
]

# Go's regexp classes are ASCII: spell them out (Python's \s and \w are Unicode).
_NON_ID = r"[^a-zA-Z0-9]"
_HYPHENS = r"-+"
_WHITESPACE = r"[\t\n\v\f\r ]+"
_HYPHEN_OR_SPACE = r"-|[\t\n\v\f\r ]"


class Reference(Record):
    """A plugin reference as the agent holds it: ``location`` (host + path) and ``version``."""

    text: str
    scheme: str
    location: str
    version: str

    @property
    def vendored(self) -> bool:
        """A path inside the job's checkout (``./plugins/x``): the agent runs it in place."""
        return self.location.startswith(".")


def parse_reference(text: str) -> Reference:
    """``text`` split as the agent's ``CreatePlugin`` splits it (``url.Parse``)."""
    try:
        parts = urlsplit(text)
        host = parts.netloc.rpartition("@")[2]
    except ValueError:  # e.g. an unbalanced "[" in the host: the agent refuses it too
        return Reference(text, "", "", "")
    return Reference(text, parts.scheme, host + unquote(parts.path), parts.fragment)


def plugin_name(reference: Reference) -> str:
    """The plugin's name, as ``(*Plugin).Name`` gives it (``ecr-cache-tui``)."""
    location = reference.location.replace("\\", "/").rstrip("/")
    if not location:
        return ""
    name = location.rsplit("/", 1)[-1].lstrip(".").lower()
    name = re.sub(_NON_ID, "-", re.sub(_WHITESPACE, " ", name))
    return name.replace("-buildkite-plugin-git", "").replace("-buildkite-plugin", "")


def env_name(name: str) -> str:
    """``formatEnvKey``: upper case, ``-`` and spaces to ``_`` (``MY_PLUGIN`` for ``my-plugin``)."""
    return re.sub(_HYPHEN_OR_SPACE, "_", name.upper())


def identifier(reference: Reference) -> str:
    """The directory name the agent checks the plugin out into (``(*Plugin).Identifier``)."""
    label = reference.location
    if reference.version:
        label += "#" + reference.version
    return re.sub(_HYPHENS, "-", re.sub(_NON_ID, "-", label)).strip("-")


def _subdirectory(location: str) -> str:
    """Where in its repository the plugin is (``RepositorySubdirectory``), ``""`` at the root."""
    parts = location.split("/")
    if parts[0] in ("github.com", "bitbucket.org"):
        repository = parts[:3]
    elif parts[0] == "gitlab.com":
        repository = parts
    else:
        repository = []
        for part in parts:
            repository.append(part)
            if part.endswith(".git"):
                break
    return location[len("/".join(repository)) :].strip("/").removesuffix(".git")


def _resolved(path: Path) -> Path | None:
    try:
        return path.resolve()
    except (OSError, ValueError):  # a NUL byte, a loop: not a directory the hook runs from
        return None


def checked_out_at(reference: Reference, plugin_dir: Path, checkout: Path) -> bool:
    """Whether the agent runs this reference's hooks from ``plugin_dir``.

    Args:
        reference: an entry of ``BUILDKITE_PLUGINS``.
        plugin_dir: the directory the running hook belongs to (above its ``hooks/``).
        checkout: the job's checkout (where vendored plugins are).
    """
    if not reference.location:
        return False
    here = plugin_dir.resolve()
    if reference.vendored:
        return _resolved(checkout / reference.location) == here
    if reference.location.startswith("/") and _resolved(Path(reference.location)) == here:
        return True
    clone = [identifier(reference), *filter(None, _subdirectory(reference.location).split("/"))]
    return list(here.parts[-len(clone) :]) == clone
