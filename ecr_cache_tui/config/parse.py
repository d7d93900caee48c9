"""The plugin's configuration: a typed, immutable model of every option in SPEC §2.1.

:func:`load` reads the options a Buildkite job hands the plugin (see
:mod:`ecr_cache_tui.config.sources` for where they come from); :func:`parse` validates an
already-decoded mapping (``ecr-cache checksum --config``, tests). Both check everything before
anything has a side effect and raise :class:`~ecr_cache_tui.errors.ConfigError` with one line
naming the option, the value and what is allowed. Defaults are resolved here and only here:

* ``ecr-name``: ``build-cache/$BUILDKITE_ORGANIZATION_SLUG/$BUILDKITE_PIPELINE_SLUG``
  (:data:`~ecr_cache_tui.config.options.CACHE_PREFIX`);
* ``region``: :func:`~ecr_cache_tui.config.region.choose_region`'s order (the option,
  ``AWS_REGION``, ``AWS_DEFAULT_REGION``, the AWS profile's region, then ``eu-west-1``);
* ``force-rebuild``: the option, or :data:`~ecr_cache_tui.config.variables.FORCE_REBUILD`
  ``=true`` in the job environment;
* ``context``: the Dockerfile's directory (``.`` for ``dockerfile-inline``);
* bare ``build-args``/``unhashed-build-args`` names read their value from the environment.

Types are checked as the plugin's JSON schema (``plugin.yml``) declares them: a pipeline that
Buildkite's plugin linter accepts is the pipeline this accepts, and the other way round.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ecr_cache_tui.cachekey.globbing import PatternError, compile_pattern
from ecr_cache_tui.cachekey.inputs import LABEL
from ecr_cache_tui.cachekey.jsonselect import SelectorError, parse_selector, split_entry
from ecr_cache_tui.cachekey.keyconfig import check_platform
from ecr_cache_tui.config.buildflags import (
    BOOLEAN_BUILD_FLAGS,
    flag_values,
    join_fields,
    secret_fields,
)
from ecr_cache_tui.config.options import (
    CACHE_PREFIX,
    DEFAULT_BASE_IMAGE_CHECK_MINUTES,
    DEFAULT_MAX_AGE_DAYS,
    MAX_BASE_IMAGE_CHECK_MINUTES,
    OPTIONS,
    VERIFY_LABEL_CHOICES,
    RegistryProvider,
    VerifyLabel,
)
from ecr_cache_tui.config.plugin_config import BuildArg, PluginConfig, Secret
from ecr_cache_tui.config.protected import refusal
from ecr_cache_tui.config.region import choose_region
from ecr_cache_tui.config.sources import from_env
from ecr_cache_tui.config.strings import check_path, check_shape, check_text
from ecr_cache_tui.config.variables import DEFAULT_EXPORT_VARIABLE, FORCE_REBUILD, is_identifier
from ecr_cache_tui.errors import ConfigError
from ecr_cache_tui.text import show

__all__ = [
    "check_registry_hostname",
    "is_registry_hostname",
    "is_repository_name",
    "load",
    "load_from",
    "parse",
]

_ARG_NAME = r"[A-Za-z_][A-Za-z0-9_.-]*"
_SECRET_ID = r"[A-Za-z0-9_.-]+"  # noqa: S105 (a pattern, not a secret)
_SECRET_KEYS = ("id", "src", "source", "env", "type")
_SECRET_SOURCES = frozenset({"src", "source"})
# ECR's own rule for repository names (CreateRepository's repositoryName pattern).
_ECR_NAME = r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*"
_REGION = r"[a-z]{2}(?:-[a-z]+)+-[0-9]+"
_ACCOUNT_ID = r"[0-9]{12}"
_HOSTNAME = (
    r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(?P<port>[0-9]{1,5}))?"
)
# BuildKit's rule for stage names (frontend/dockerfile/instructions: validStageName), any case.
_STAGE = r"(?i)[a-z][a-z0-9_.-]*"
_MAX_TAGS = 50
#: Characters of one ``push`` branch pattern at most (git allows long names; this is generous).
_MAX_BRANCH_PATTERN = 255
_MAX_TAG_KEY = 128
_MAX_TAG_VALUE = 256


def load_from(
    raw: Mapping[str, Any] | None,
    env: Mapping[str, str],
    checkout: Path,
    *,
    pipeline: tuple[str, str] | None = None,
    profile_region: Callable[[], str | None] | None = None,
    repository_required: bool = True,
    plugin_dir: Path | None = None,
) -> PluginConfig:
    """:func:`parse` ``raw`` (``--config``, ``--config-file``), else :func:`load` from ``env``.

    What the commands that take a configuration on the command line do (``checksum``,
    ``rebuild --here``): a configuration given there wins, the job's is read otherwise
    (``plugin_dir``: see :func:`load`).
    """
    if raw is None:
        raw = from_env(env, checkout=checkout, plugin_dir=plugin_dir)
    return parse(
        raw,
        env,
        checkout,
        pipeline=pipeline,
        profile_region=profile_region,
        repository_required=repository_required,
    )


def load(
    env: Mapping[str, str],
    checkout: Path,
    *,
    pipeline: tuple[str, str] | None = None,
    profile_region: Callable[[], str | None] | None = None,
    repository_required: bool = True,
    plugin_dir: Path | None = None,
) -> PluginConfig:
    """Read and validate the plugin configuration of the current Buildkite job.

    The options come from ``BUILDKITE_PLUGIN_CONFIGURATION`` (JSON), else from this plugin's
    entry in ``BUILDKITE_PLUGINS``, else from the flattened ``BUILDKITE_PLUGIN_<NAME>_*``
    variables (:func:`ecr_cache_tui.config.sources.from_env`).

    Args:
        env: the job's environment.
        checkout: the checkout directory (what relative paths are relative to).
        pipeline: the organisation and pipeline slugs of the default ``ecr-name``; None:
            ``BUILDKITE_ORGANIZATION_SLUG`` and ``BUILDKITE_PIPELINE_SLUG`` from ``env``.
        plugin_dir: the running plugin's directory, which finds its ``BUILDKITE_PLUGINS``
            entry (see :func:`~ecr_cache_tui.config.sources.from_env`).
        profile_region: asked for the AWS profile's region when neither the option nor
            ``AWS_REGION``/``AWS_DEFAULT_REGION`` give one.
        repository_required: when false (``ecr-cache checksum`` outside a job), a missing
            organisation or pipeline slug leaves ``ecr_name`` empty instead of failing.

    Raises:
        ConfigError: the first invalid option, as one line.
    """
    return load_from(
        None,
        env,
        checkout,
        pipeline=pipeline,
        profile_region=profile_region,
        repository_required=repository_required,
        plugin_dir=plugin_dir,
    )


def parse(
    raw: Mapping[str, Any],
    env: Mapping[str, str],
    checkout: Path,
    *,
    pipeline: tuple[str, str] | None = None,
    profile_region: Callable[[], str | None] | None = None,
    repository_required: bool = True,
) -> PluginConfig:
    """Validate decoded options (``{"cache-on": [...], ...}``) into a :class:`PluginConfig`.

    Args:
        raw: the options with their JSON types, as a pipeline would give them.
        env: the job's environment (slugs, build-arg values, region, force rebuild).
        checkout: the checkout directory.
        pipeline: see :func:`load`.
        profile_region: see :func:`load`.
        repository_required: see :func:`load`.

    Raises:
        ConfigError: the first invalid option, as one line.
    """
    if not isinstance(raw, Mapping):
        raise ConfigError(
            f"plugin configuration: {_show(raw)} is not valid: expected a mapping of options",
            option=None,
        )
    check_shape(raw, "plugin configuration")
    for key in raw:
        if key not in OPTIONS:
            raise _unknown(key)
    return _Parser(
        raw, env, checkout, pipeline, profile_region=profile_region, required=repository_required
    ).config()


class _Parser:
    """One validation run; each method checks one option and returns its resolved value."""

    def __init__(
        self,
        raw: Mapping[str, Any],
        env: Mapping[str, str],
        checkout: Path,
        pipeline: tuple[str, str] | None,
        *,
        profile_region: Callable[[], str | None] | None,
        required: bool,
    ) -> None:
        self.repository_required = required
        self.pipeline = pipeline
        self.raw = raw
        self.env = env
        self.checkout = checkout
        self.profile_region = profile_region

    def config(self) -> PluginConfig:
        dockerfile, inline = self._dockerfile()
        additional_raw = (
            self._string("additional-build-args", allow_empty=True, multiline=True) or ""
        )
        provider = self._registry_provider()
        hostname = self._registry_hostname(provider)
        max_age = self._max_age_days()
        return PluginConfig(
            dockerfile=dockerfile,
            dockerfile_inline=inline,
            context=self._context(dockerfile),
            target=self._target(),
            build_args=self._build_args("build-args"),
            additional_build_args=self._additional_build_args(additional_raw),
            additional_build_args_raw=additional_raw,
            secrets=self._secrets(),
            cache_on=self._cache_on(),
            ecr_name=self._ecr_name(),
            ecr_tags=self._ecr_tags(),
            max_age_days=max_age if max_age is not None else DEFAULT_MAX_AGE_DAYS,
            max_age_days_explicit=max_age is not None,
            export_env_variable=self._export_env_variable(),
            region=self._region(),
            skip_pull_from_cache=self._bool("skip-pull-from-cache", False),
            registry_hostname=hostname,
            registry_provider=provider,
            platform=self._platform(),
            account_id=self._account_id(),
            cache_from=self._bool("cache-from", True),
            unhashed_build_args=self._build_args("unhashed-build-args"),
            force_rebuild=self._force_rebuild(),
            push_latest=self._bool("push-latest", True),
            annotate=self._bool("annotate", True),
            push=self._push(),
            push_from_forks=self._bool("push-from-forks", False),
            verify_label=self._verify_label(),
            base_image_digests=self._bool("base-image-digests", False),
            base_image_check_minutes=self._base_image_check_minutes(),
            cache_on_copied=self._bool("cache-on-copied", False),
        )

    # -- generic shapes ------------------------------------------------------------------

    def _string(
        self, option: str, *, allow_empty: bool = False, multiline: bool = False
    ) -> str | None:
        """A string option; no NUL, control character or lone surrogate (``multiline``: tab
        and newline allowed), see :mod:`ecr_cache_tui.config.strings`."""
        if option not in self.raw:
            return None
        value = self.raw[option]
        if not isinstance(value, str):
            raise _bad(option, value, "expected a string")
        if not value and not allow_empty:
            raise _bad(option, value, "expected a non-empty string")
        return check_text(option, value, multiline=multiline)

    def _bool(self, option: str, default: bool) -> bool:
        if option not in self.raw:
            return default
        value = self.raw[option]
        if not isinstance(value, bool):
            raise _bad(option, value, "expected true or false")
        return value

    def _string_list(self, option: str) -> tuple[str, ...]:
        """A string or a list of strings (each item non-empty)."""
        if option not in self.raw:
            return ()
        value = self.raw[option]
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list):
            raise _bad(option, value, "expected a string or a list of strings")
        for item in items:
            if not isinstance(item, str) or not item:
                raise _bad(option, item, "expected each item to be a non-empty string")
        return tuple(items)

    def _checked_list(self, option: str) -> tuple[str, ...]:
        """:meth:`_string_list`, each item one line of printable characters."""
        return tuple(check_text(option, item) for item in self._string_list(option))

    # -- the options ---------------------------------------------------------------------

    def _dockerfile(self) -> tuple[str | None, str | None]:
        inline = self._string("dockerfile-inline", multiline=True)
        if inline is not None:
            if "dockerfile" in self.raw:
                raise ConfigError(
                    f"dockerfile: {_show(self.raw['dockerfile'])} is not allowed together with "
                    "dockerfile-inline: set one of them",
                    option="dockerfile",
                )
            return None, inline
        written = self._string("dockerfile") or "Dockerfile"
        path = self._inside_checkout("dockerfile", written)
        if not self._resolves_to("dockerfile", written, path, directory=False):
            raise _bad(
                "dockerfile",
                written,
                f"no such file in the checkout ({self.checkout / path}); expected the path of "
                "a Dockerfile relative to the checkout",
            )
        return path, None

    def _context(self, dockerfile: str | None) -> str:
        written = self._string("context")
        if written is None:
            return (posixpath.dirname(dockerfile) or ".") if dockerfile else "."
        path = self._inside_checkout("context", written)
        if not self._resolves_to("context", written, path, directory=True):
            raise _bad("context", written, "expected a directory in the checkout")
        return path

    def _inside_checkout(self, option: str, written: str) -> str:
        normal = posixpath.normpath(written)
        if written.startswith("/") or normal == ".." or normal.startswith("../"):
            raise _bad(option, written, "expected a path inside the checkout (relative, no '..')")
        check_path(option, written, self.checkout, normal)
        return normal

    def _resolves_to(self, option: str, written: str, path: str, *, directory: bool) -> bool:
        """Whether ``path`` is a file (a directory) that resolves inside the checkout.

        A symlink on the way is followed: one that stays inside works; one that leads out is
        refused naming the link, so nothing outside the checkout is hashed or sent to a build.
        """
        target = self.checkout / path
        try:
            found = target.is_dir() if directory else target.is_file()
            real = Path(os.path.realpath(target))
            root = Path(os.path.realpath(self.checkout))
        except (OSError, ValueError) as exc:
            raise _bad(option, written, f"cannot be read ({_reason(exc)})") from exc
        if found and real != root and root not in real.parents:
            link = _first_link_out(self.checkout, path, root)
            raise _bad(
                option,
                written,
                f"it resolves outside the checkout (through the symlink {link}); expected a "
                "path inside the checkout",
            )
        return found

    def _build_args(self, option: str) -> tuple[BuildArg, ...]:
        args = []
        for item in self._string_list(option):
            name, sep, value = item.partition("=")
            if not re.fullmatch(_ARG_NAME, name):
                raise _bad(
                    option,
                    item if not sep else f"{name}=…",
                    "expected NAME or NAME=value, NAME of letters, digits, '_', '.', '-' "
                    "not starting with a digit",
                )
            if sep:
                check_text(option, value, multiline=True, shown=show(f"{name}=…"))
                args.append(BuildArg(name, value))
            else:
                found = self.env.get(name)
                args.append(BuildArg(name, found or "", from_env=True, unset=found is None))
        return tuple(args)

    def _additional_build_args(self, raw: str) -> tuple[str, ...]:
        if not raw.strip():
            return ()
        try:
            # lazy: only when the option is set
            import shlex  # noqa: PLC0415

            words = tuple(shlex.split(raw, comments=False, posix=True))
        except ValueError as exc:
            raise _bad("additional-build-args", raw, f"expected shell-style words ({exc})") from exc
        for word in words:
            flag = word.split("=", 1)[0]
            owned = flag in _OWNED_BUILD_FLAGS or (
                flag[:2] in _OWNED_SHORT_FLAGS and not flag.startswith("--")
            )
            if owned or word.removeprefix("--label=").startswith(f"{LABEL}="):
                raise _bad(
                    "additional-build-args",
                    raw,
                    f"{show(flag, 40)} is set by the plugin (from dockerfile, target, "
                    "platform, the tag and its inputs label); expected other docker build flags",
                )
        stray = _stray_word(words)
        if stray is not None:
            raise _bad(
                "additional-build-args",
                raw,
                f"{show(stray, 40)} is not a flag or a flag's value (the build context is the "
                "context option); expected docker build flags such as --network=host",
            )
        return self._additional_secrets(words)

    def _secrets(self) -> tuple[Secret, ...]:
        secrets = []
        for item in self._checked_list("secrets"):
            if "=" not in item:
                if not is_identifier(item):
                    raise _bad("secrets", item, _SECRET_ALLOWED)
                secrets.append(Secret(item, f"id={item},env={item}"))
                continue
            fields: dict[str, str] = {}
            for part in item.split(","):
                key, sep, value = part.partition("=")
                if not sep or key not in _SECRET_KEYS or not value or key in fields:
                    raise _bad("secrets", item, _SECRET_ALLOWED)
                fields[key] = value
            if not re.fullmatch(_SECRET_ID, fields.get("id", "")):
                raise _bad("secrets", item, _SECRET_ALLOWED)
            spec = item
            if fields.keys() & _SECRET_SOURCES:
                spec = join_fields(
                    [(k, self._secret_file("secrets", k, v)) for k, v in fields.items()]
                )
            secrets.append(Secret(fields["id"], spec))
        return tuple(secrets)

    def _secret_file(self, option: str, key: str, value: str) -> str:
        """``value`` itself, or for ``src``/``source`` the real path of that file in the checkout.

        Resolved like ``dockerfile``: relative, no ``..``, symlinks followed only while they
        stay inside (a link out is refused, named), a regular file. The real path is what the
        build is given, so it reads the file checked here, whatever its working directory.
        """
        if key not in _SECRET_SOURCES:
            return value
        path = self._inside_checkout(option, value)
        if not self._resolves_to(option, value, path, directory=False):
            raise _bad(
                option,
                value,
                f"a secret's {key} is not a file in the checkout ({self.checkout / path}); "
                "expected the path of a file inside the checkout",
            )
        return os.path.realpath(self.checkout / path)

    def _additional_secrets(self, words: tuple[str, ...]) -> tuple[str, ...]:
        """``words`` with each ``--secret``'s ``src`` checked and made the file's real path."""
        out = list(words)
        for index, value, attached in flag_values(words, "--secret"):
            fields = secret_fields(value)
            if not any(key in _SECRET_SOURCES for key, _ in fields):
                continue
            checked = join_fields(
                [(k, self._secret_file("additional-build-args", k, v)) for k, v in fields]
            )
            out[index] = f"--secret={checked}" if attached else checked
        return tuple(out)

    def _cache_on(self) -> tuple[str, ...]:
        entries = self._checked_list("cache-on")
        for entry in entries:
            pattern, selector = split_entry(entry)
            check_path("cache-on", entry, self.checkout, pattern)
            try:
                compile_pattern(pattern)
            except PatternError as exc:
                raise _bad(
                    "cache-on", entry, f"{exc}; expected a glob relative to the checkout"
                ) from exc
            if selector is not None:
                try:
                    parse_selector(selector)
                except SelectorError as exc:
                    raise _bad(
                        "cache-on", entry, f"bad JSON selector: {exc} (e.g. file.json#.a.b)"
                    ) from exc
        return entries

    def _ecr_name(self) -> str:
        name = self._string("ecr-name")
        if name is None and self.pipeline is not None:
            name = CACHE_PREFIX + "{}/{}".format(*self.pipeline)
            origin = "ecr-name (default from the organization and pipeline slugs)"
        elif name is None:
            slugs = {
                k: self.env.get(k, "")
                for k in ("BUILDKITE_ORGANIZATION_SLUG", "BUILDKITE_PIPELINE_SLUG")
            }
            missing = [k for k, v in slugs.items() if not v]
            if missing and not self.repository_required:
                return ""
            if missing:
                raise ConfigError(
                    f"ecr-name: not set, and {' and '.join(missing)} missing from the "
                    "environment: set ecr-name, or run inside a Buildkite job",
                    option="ecr-name",
                )
            name = CACHE_PREFIX + "{}/{}".format(*slugs.values())
            origin = "ecr-name (default from the organization and pipeline slugs)"
        else:
            origin = "ecr-name"
        if not (2 <= len(name) <= 256 and re.fullmatch(_ECR_NAME, name)):
            raise ConfigError(
                f"{origin}: {_show(name)} is not valid: expected 2-256 characters of lower-case "
                "letters, digits and '.', '_', '-' between them, '/'-separated",
                option="ecr-name",
            )
        return name

    def _ecr_tags(self) -> dict[str, str]:
        if "ecr-tags" not in self.raw:
            return {}
        tags = self.raw["ecr-tags"]
        if not isinstance(tags, Mapping):
            raise _bad("ecr-tags", tags, "expected a map of tag names to string values")
        if len(tags) > _MAX_TAGS:
            raise _bad("ecr-tags", f"{len(tags)} tags", f"expected at most {_MAX_TAGS} tags")
        for key, value in tags.items():
            if not isinstance(key, str) or not 1 <= len(key) <= _MAX_TAG_KEY:
                raise _bad("ecr-tags", key, f"expected tag names of 1-{_MAX_TAG_KEY} characters")
            if key.lower().startswith("aws:"):
                raise _bad("ecr-tags", key, "tag names starting with 'aws:' are reserved")
            if not _is_tag_text(key):
                raise _bad("ecr-tags", key, _TAG_ALLOWED)
            if not isinstance(value, str):
                raise _bad(f"ecr-tags.{key}", value, "expected a string (quote it in YAML)")
            if not _is_tag_text(value):
                raise _bad(f"ecr-tags.{key}", value, _TAG_ALLOWED)
            if len(value) > _MAX_TAG_VALUE:
                raise _bad(
                    f"ecr-tags.{key}",
                    value,
                    f"expected at most {_MAX_TAG_VALUE} characters",
                )
        return dict(tags)

    def _max_age_days(self) -> int | None:
        if "max-age-days" not in self.raw:
            return None
        value = self.raw["max-age-days"]
        # bool is an int in Python; 14.0 is a whole number (JSON schema agrees on both).
        whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        if isinstance(value, bool) or not whole or value < 1:
            raise _bad("max-age-days", value, "expected a whole number >= 1")
        return int(value)

    def _base_image_check_minutes(self) -> int:
        if "base-image-check-minutes" not in self.raw:
            return DEFAULT_BASE_IMAGE_CHECK_MINUTES
        value = self.raw["base-image-check-minutes"]
        whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        if isinstance(value, bool) or not whole or not 0 <= value <= MAX_BASE_IMAGE_CHECK_MINUTES:
            raise _bad(
                "base-image-check-minutes",
                value,
                f"expected a whole number of minutes from 0 to {MAX_BASE_IMAGE_CHECK_MINUTES}",
            )
        return int(value)

    def _export_env_variable(self) -> str:
        name = self._string("export-env-variable")
        if name is None:
            return DEFAULT_EXPORT_VARIABLE
        if not is_identifier(name):
            raise _bad(
                "export-env-variable",
                name,
                "expected a shell variable name (letters, digits, '_', not starting with a digit)",
            )
        why = refusal(name)
        if why is not None:
            raise _bad(
                "export-env-variable",
                name,
                f"{why}; expected a variable of your own, e.g. {DEFAULT_EXPORT_VARIABLE}",
            )
        return name

    def _target(self) -> str | None:
        value = self._string("target")
        if value is not None and not re.fullmatch(_STAGE, value):
            raise _bad(
                "target",
                value,
                "expected a build stage name (a letter, then letters, digits, '_', '.', '-')",
            )
        return value

    def _region(self) -> str:
        choice = choose_region(self._string("region"), self.env, self.profile_region)
        return choice.region if choice.is_default else _check_region(choice.origin, choice.region)

    def _registry_provider(self) -> RegistryProvider:
        value = self.raw.get("registry-provider", "ecr")
        if value == "ecr":
            return "ecr"
        if value == "oci":
            return "oci"
        raise _bad("registry-provider", value, "expected one of: ecr, oci")

    def _registry_hostname(self, provider: RegistryProvider) -> str | None:
        host = self._string("registry-hostname")
        check_registry_hostname(provider, host)
        if host is None:
            return None
        if not is_registry_hostname(host):
            raise _bad("registry-hostname", host, "expected host[:port], e.g. ghcr.io or x:5000")
        return host

    def _platform(self) -> str | None:
        value = self._string("platform")
        if value is not None:
            check_platform("platform", value)
        return value

    def _account_id(self) -> str | None:
        value = self._string("account-id")
        if value is not None and not re.fullmatch(_ACCOUNT_ID, value):
            raise _bad("account-id", value, 'expected 12 digits, quoted ("123456789012")')
        return value

    def _push(self) -> bool | tuple[str, ...]:
        """``true``, ``false``, or branch patterns (a string is one pattern); see
        :mod:`ecr_cache_tui.config.push`."""
        value = self.raw.get("push", True)
        if isinstance(value, bool):
            return value
        allowed = "expected true, false or a non-empty list of branch patterns such as main"
        if isinstance(value, list) and not value:
            raise _bad("push", value, allowed)
        if not isinstance(value, (str, list)):
            raise _bad("push", value, allowed)
        patterns = self._checked_list("push")
        for pattern in patterns:
            if pattern in ("!", "") or len(pattern) > _MAX_BRANCH_PATTERN:
                raise _bad(
                    "push", pattern, f"expected a branch pattern of 1-{_MAX_BRANCH_PATTERN} chars"
                )
        return patterns

    def _verify_label(self) -> VerifyLabel:
        value = self.raw.get("verify-label", "rebuild")
        for choice in VERIFY_LABEL_CHOICES:
            if value == choice:
                return choice
        raise _bad("verify-label", value, f"expected one of: {', '.join(VERIFY_LABEL_CHOICES)}")

    def _force_rebuild(self) -> bool:
        if self._bool("force-rebuild", False):
            return True
        value = self.env.get(FORCE_REBUILD, "").strip().lower()
        if value in ("true", "1", "yes"):
            return True
        if value in ("", "false", "0", "no"):
            return False
        raise ConfigError(
            f"{FORCE_REBUILD}: {_show(self.env[FORCE_REBUILD])} is not valid: "
            "expected true or false",
            option=FORCE_REBUILD,
        )


_SECRET_ALLOWED = (
    "expected ID (an environment variable name) or id=ID,src=PATH / id=ID,env=NAME "
    f"(keys: {', '.join(_SECRET_KEYS)})"
)


def is_repository_name(name: str) -> bool:
    """Whether ``name`` is a repository name ECR accepts (its CreateRepository pattern)."""
    return 2 <= len(name) <= 256 and re.fullmatch(_ECR_NAME, name) is not None


def is_registry_hostname(host: str) -> bool:
    """Whether ``host`` is a registry's ``host[:port]`` (a port from 1 to 65535)."""
    match = re.fullmatch(_HOSTNAME, host)
    return match is not None and 1 <= int(match["port"] or 1) <= 65535


def check_registry_hostname(provider: RegistryProvider, host: str | None) -> None:
    """Refuse ``registry-provider: oci`` without a ``registry-hostname`` (ECR's comes from AWS).

    Raises:
        ConfigError: ``provider`` is ``oci`` and ``host`` is not set.
    """
    if provider == "oci" and not host:
        raise ConfigError(
            "registry-hostname: not set, but registry-provider is oci: set the "
            "registry's host[:port]",
            option="registry-hostname",
        )


def _check_region(origin: str, value: str) -> str:
    if not re.fullmatch(_REGION, value):
        raise _bad(origin, value, "expected an AWS region such as eu-west-1")
    return value


def _unknown(key: object) -> ConfigError:
    name = str(key)
    normal = name.lower().replace("_", "-").replace(" ", "-")
    # lazy: only for an unknown key
    import difflib  # noqa: PLC0415

    close = difflib.get_close_matches(normal, OPTIONS, n=1, cutoff=0.6)
    hint = f'did you mean "{close[0]}"?' if close else f"allowed: {', '.join(OPTIONS)}"
    return ConfigError(f"{_show(name)} is not an option of this plugin: {hint}", option=name)


def _bad(option: str, value: object, allowed: str) -> ConfigError:
    return ConfigError(f"{option}: {_show(value)} is not valid: {allowed}", option=option)


def _show(value: object, limit: int = 80) -> str:
    """The value as one short line (see :func:`ecr_cache_tui.text.show`)."""
    return show(value, limit)


#: ``docker build`` flags the plugin sets itself: given in ``additional-build-args`` they would
#: build another Dockerfile (one outside the checkout, unhashed), tag or push another image, or
#: replace the inputs label, behind the cache tag's back.
_OWNED_BUILD_FLAGS = frozenset(
    {
        "--file",
        "--tag",
        "--target",
        "--platform",
        "--output",
        "--push",
        "--iidfile",
        "--metadata-file",
    }
)
#: Their short forms, alone or with the value attached (``-fDockerfile``, ``-tname``).
_OWNED_SHORT_FLAGS = frozenset({"-f", "-t", "-o"})


def _stray_word(words: tuple[str, ...]) -> str | None:
    """The first word that is neither a flag nor a flag's value (a second build context, ``-``).

    Appended before the plugin's own context, it would make ``docker build`` fail after the
    repository was made, or build from stdin: refused with the rest of the configuration.
    """
    takes_value = False
    for word in words:
        if takes_value:
            takes_value = False
            continue
        if not word.startswith("-") or word == "-":
            return word
        attached = "=" in word if word.startswith("--") else len(word) > 2
        takes_value = not attached and word not in BOOLEAN_BUILD_FLAGS
    return None


_TAG_ALLOWED = (
    "expected letters, digits, spaces and _ . : / = + - @ (ECR's rule for tag names and values)"
)
_TAG_PUNCTUATION = frozenset("_.:/=+-@")


def _is_tag_text(text: str) -> bool:
    """ECR's tag pattern ``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*``."""
    # lazy: only when ecr-tags are set
    import unicodedata  # noqa: PLC0415

    return all(ch in _TAG_PUNCTUATION or unicodedata.category(ch)[0] in "LZN" for ch in text)


def _reason(exc: BaseException) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def _first_link_out(checkout: Path, relative: str, root: Path) -> str:
    """``a/lnk -> /etc``: the first symlink on ``relative`` whose target leaves the checkout."""
    here = checkout
    parts = relative.split("/")
    for i, part in enumerate(parts):
        here = here / part
        if here.is_symlink():
            real = Path(os.path.realpath(here))
            if real != root and root not in real.parents:
                return f"{'/'.join(parts[: i + 1])} -> {here.readlink()}"
    return relative
