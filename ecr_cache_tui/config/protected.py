"""The variables ``export-env-variable`` may never name: the ones a job relies on.

Exporting the image reference into one of these would break the job (``PATH`` becomes
``host/name:tag`` and the next command is not found), change how its shell behaves (``IFS``,
``BASH_ENV``, ``PS4``), what it loads (``LD_PRELOAD``, ``DYLD_*``), or overwrite what the agent
gave it. Three groups:

* the shell's and the system's own: :data:`SHELL_NAMES`, and the prefixes :data:`PREFIXES`
  (``LD_*``, ``DYLD_*``, ``BASH_*``: ``BASH_ENV``, ``BASH_FUNC_*`` exported functions;
  ``LC_*``);
* the agent's protected variables (``env/protected.go`` in ``buildkite/agent``: its
  ``protectedEnv`` and ``checkoutOverrideScope`` maps, read at commit 5c219808 of 2026-08-21):
  :data:`AGENT_NAMES`. The agent drops changes to most of them after a hook anyway, so an export
  there would be lost or, worse, half applied;
* this plugin's own exports and inputs: :data:`PLUGIN_NAMES`.

``hooks/pre-command`` carries the same list (a test keeps the two equal) and refuses these
names again before exporting, in case a package of another version wrote the export file.
"""

from __future__ import annotations

from ecr_cache_tui.config.variables import EXPORT_IMAGE, EXPORT_TAG, FORCE_REBUILD, PYTHON

__all__ = ["AGENT_NAMES", "PLUGIN_NAMES", "PREFIXES", "SHELL_NAMES", "refusal"]

#: Names the shell and the system give meaning to.
SHELL_NAMES: frozenset[str] = frozenset(
    {
        "BASHOPTS",
        "BASHPID",
        "CDPATH",
        "ENV",
        "EUID",
        "GLOBIGNORE",
        "HOME",
        "HOSTNAME",
        "IFS",
        "LANG",
        "LOGNAME",
        "MAIL",
        "OLDPWD",
        "OPTARG",
        "OPTIND",
        "PATH",
        "PPID",
        "PROMPT_COMMAND",
        "PS1",
        "PS2",
        "PS3",
        "PS4",
        "PWD",
        "SHELL",
        "SHELLOPTS",
        "SHLVL",
        "TERM",
        "TMPDIR",
        "UID",
        "USER",
    }
)

#: Prefixes: the dynamic loaders' variables, bash's own (and its exported functions), locales.
PREFIXES: tuple[str, ...] = ("LD_", "DYLD_", "BASH_", "LC_")

#: The Buildkite agent's protected variables (see the module docstring for the source).
AGENT_NAMES: frozenset[str] = frozenset(
    {
        # protectedEnv
        "BUILDKITE_AGENT_ACCESS_TOKEN",
        "BUILDKITE_AGENT_DEBUG",
        "BUILDKITE_AGENT_ENDPOINT",
        "BUILDKITE_AGENT_JOB_TIMEOUT_FILE",
        "BUILDKITE_AGENT_PID",
        "BUILDKITE_ARTIFACT_PATHS",
        "BUILDKITE_ARTIFACT_UPLOAD_DESTINATION",
        "BUILDKITE_BIN_PATH",
        "BUILDKITE_BUILD_PATH",
        "BUILDKITE_CHECKOUT_OVERRIDE_MODE",
        "BUILDKITE_COMMAND_EVAL",
        "BUILDKITE_CONFIG_PATH",
        "BUILDKITE_CONTAINER_COUNT",
        "BUILDKITE_GIT_CLONE_MIRROR_FLAGS",
        "BUILDKITE_GIT_MIRRORS_LOCK_TIMEOUT",
        "BUILDKITE_GIT_MIRRORS_PATH",
        "BUILDKITE_GIT_MIRRORS_SKIP_UPDATE",
        "BUILDKITE_GIT_MIRROR_CHECKOUT_MODE",
        "BUILDKITE_GIT_REMOTE_MIRROR_URL",
        "BUILDKITE_GIT_SUBMODULE_CLONE_CONFIG",
        "BUILDKITE_HOOKS_PATH",
        "BUILDKITE_HOOKS_SHELL",
        "BUILDKITE_JOB_CONTEXT_DIR",
        "BUILDKITE_KUBERNETES_EXEC",
        "BUILDKITE_LOCAL_HOOKS_ENABLED",
        "BUILDKITE_PLUGINS_ALWAYS_CLONE_FRESH",
        "BUILDKITE_PLUGINS_ENABLED",
        "BUILDKITE_PLUGINS_PATH",
        "BUILDKITE_REFSPEC",
        "BUILDKITE_REPO",
        "BUILDKITE_SHELL",
        "BUILDKITE_SSH_KEYSCAN",
        # checkoutOverrideScope
        "BUILDKITE_GIT_CHECKOUT_FLAGS",
        "BUILDKITE_GIT_CHECKOUT_TIMEOUT",
        "BUILDKITE_GIT_CLEAN_FLAGS",
        "BUILDKITE_GIT_CLONE_FLAGS",
        "BUILDKITE_GIT_COMMIT_VERIFICATION",
        "BUILDKITE_GIT_FETCH_FLAGS",
        "BUILDKITE_GIT_SKIP_FETCH_EXISTING_COMMITS",
        "BUILDKITE_GIT_SPARSE_CHECKOUT_MODE",
        "BUILDKITE_GIT_SPARSE_CHECKOUT_PATHS",
        "BUILDKITE_GIT_SUBMODULES",
        "BUILDKITE_SKIP_CHECKOUT",
        # What every job step and hook reads, though protected.go does not list it.
        "BUILDKITE_COMMAND",
        "BUILDKITE_ENV_FILE",
        "BUILDKITE_PLUGINS",
        "BUILDKITE_PLUGIN_CONFIGURATION",
        "BUILDKITE_PLUGIN_NAME",
    }
)

#: This plugin's own variables: its fixed exports and the rebuild switch it reads.
PLUGIN_NAMES: frozenset[str] = frozenset({EXPORT_IMAGE, EXPORT_TAG, FORCE_REBUILD, PYTHON})

_ALL = SHELL_NAMES | AGENT_NAMES | PLUGIN_NAMES


def refusal(name: str) -> str | None:
    """Why ``name`` may not receive the image reference, or ``None`` when it may.

    Compared upper-cased (the agent normalises names that way on Windows, and ``path`` beside
    ``PATH`` would be a trap), and by prefix for :data:`PREFIXES` and the plugin's own
    ``BUILDKITE_PLUGIN_…_EXPORT_IMAGE``/``_EXPORT_TAG`` under any plugin name.
    """
    upper = name.upper()
    if upper in SHELL_NAMES or upper.startswith(PREFIXES):
        return "the job's shell and programs rely on it"
    if upper in AGENT_NAMES:
        return "the Buildkite agent protects it"
    if upper in PLUGIN_NAMES or (
        upper.startswith("BUILDKITE_PLUGIN_") and upper.endswith(("_EXPORT_IMAGE", "_EXPORT_TAG"))
    ):
        return "this plugin exports it itself"
    return None
