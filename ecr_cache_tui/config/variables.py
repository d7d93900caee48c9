"""The environment variables of this plugin's own, each name spelled here and nowhere else in
the package, and what a variable name may be.

Read (the job sets them; :mod:`.settings` and :mod:`.parse` turn them into typed values):

* :data:`FORCE_REBUILD`: ``true`` rebuilds (settable from "New Build");
* :data:`RETRY_SECONDS`: the hook's retry budget per step, in seconds;
* :data:`BUILD_WAIT`: the longest wait, in seconds, for another job of the host building the
  same tag;
* :data:`DOCKER_CLI`: the ``docker`` CLI to build with (``docker`` on ``PATH`` by default);
* :data:`PYTHON`: the interpreter ``hooks/pre-command`` runs the package with (the shim reads
  it; the package only refuses to export into it).

Written (exported into the job by ``hooks/pre-command``): :data:`EXPORT_IMAGE`,
:data:`EXPORT_TAG` and ``export-env-variable``'s name (:data:`DEFAULT_EXPORT_VARIABLE` unless
set): the reference plugin's names, so pipelines written for it keep working.

:data:`IDENTIFIER` is the one rule for a variable name (a POSIX shell identifier): the loader
checks ``export-env-variable`` with it, the export file's writer every record; the shim checks
the same rule again (a test keeps the two equal).
"""

from __future__ import annotations

import re

__all__ = [
    "BUILD_WAIT",
    "DEFAULT_EXPORT_VARIABLE",
    "DOCKER_CLI",
    "EXPORT_IMAGE",
    "EXPORT_TAG",
    "FORCE_REBUILD",
    "IDENTIFIER",
    "PYTHON",
    "RETRY_SECONDS",
    "is_identifier",
]

FORCE_REBUILD = "ECR_CACHE_FORCE_REBUILD"
RETRY_SECONDS = "ECR_CACHE_RETRY_SECONDS"
BUILD_WAIT = "ECR_CACHE_BUILD_WAIT"
DOCKER_CLI = "ECR_CACHE_DOCKER_CLI"
PYTHON = "ECR_CACHE_PYTHON"

EXPORT_IMAGE = "BUILDKITE_PLUGIN_DOCKER_ECR_CACHE_EXPORT_IMAGE"
EXPORT_TAG = "BUILDKITE_PLUGIN_DOCKER_ECR_CACHE_EXPORT_TAG"
#: The variable that receives ``image:tag`` by default: the one the docker plugin reads.
DEFAULT_EXPORT_VARIABLE = "BUILDKITE_PLUGIN_DOCKER_IMAGE"

#: A POSIX shell identifier: what ``export`` accepts as a name (ASCII only).
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_identifier(name: str) -> bool:
    """Whether ``name`` is a shell variable name (:data:`IDENTIFIER`)."""
    return IDENTIFIER.fullmatch(name) is not None
