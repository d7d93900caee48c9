"""Which AWS region the plugin, the CLI and the TUI use: one order, decided here.

The order (SPEC §2.1): the ``region`` option (or ``--region``), ``AWS_REGION``,
``AWS_DEFAULT_REGION``, the AWS profile's region, then
:data:`~ecr_cache_tui.config.options.DEFAULT_REGION`. The profile is asked last and only when
needed: reading it costs botocore's import, which only an adapter may do, so the caller passes
the question in as ``profile_region``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ecr_cache_tui.config.options import DEFAULT_REGION
from ecr_cache_tui.records import Record

__all__ = ["PROFILE_ORIGIN", "RegionChoice", "choose_region"]

#: The origin :func:`choose_region` names for a region read from the AWS profile.
PROFILE_ORIGIN = "region (from the AWS profile)"


class RegionChoice(Record):
    """A region and where it came from (the option's name, a variable, the profile, default)."""

    origin: str
    region: str

    @property
    def is_default(self) -> bool:
        """True when nothing named a region and the plugin's default was taken."""
        return self.origin == "default"


def choose_region(
    option: str | None,
    env: Mapping[str, str],
    profile_region: Callable[[], str | None] | None = None,
    *,
    option_name: str = "region",
) -> RegionChoice:
    """The first region named by ``option``, the environment, the profile, else the default.

    Args:
        option: the ``region`` option or ``--region``; None when not given (an empty string
            counts as given, so the caller's validation can refuse it).
        env: where ``AWS_REGION`` and ``AWS_DEFAULT_REGION`` are read (empty ones are skipped).
        profile_region: asked for the AWS profile's region only when nothing before it names one.
        option_name: the origin reported for ``option``.
    """
    if option is not None:
        return RegionChoice(option_name, option)
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if env.get(variable):
            return RegionChoice(variable, env[variable])
    if profile_region is not None:
        found = profile_region()
        if found:
            return RegionChoice(PROFILE_ORIGIN, found)
    return RegionChoice("default", DEFAULT_REGION)
