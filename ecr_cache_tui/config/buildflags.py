"""Reading ``docker build`` flags out of ``additional-build-args`` words, as the CLI reads them.

Two checks need to know what a flag's value is: a ``--secret`` whose ``src`` must stay inside
the checkout (the same rule as the ``secrets`` option), and the values a build receives from
the job's environment (``--build-arg NAME``, ``--secret id=…,env=NAME``), which the log must
mask like a ``build-args`` value. Both read the words the way ``docker build`` does: a flag
written without ``=`` takes the next word unless it is one of :data:`BOOLEAN_BUILD_FLAGS`;
``--secret``'s value is comma-separated ``key=value`` fields, quoted CSV-style.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = [
    "BOOLEAN_BUILD_FLAGS",
    "env_values",
    "flag_values",
    "join_fields",
    "secret_fields",
]

#: ``docker build`` flags that take no value (legacy builder and buildx): the word after one is
#: not its value. Any other flag written without ``=`` takes the next word.
BOOLEAN_BUILD_FLAGS = frozenset(
    {
        "--no-cache",
        "--pull",
        "--rm",
        "--force-rm",
        "-q",
        "--quiet",
        "--compress",
        "--squash",
        "--disable-content-trust",
        "--load",
        "--debug",
        "-D",
    }
)


def flag_values(words: Sequence[str], flag: str) -> list[tuple[int, str, bool]]:
    """Each value given to ``flag``: ``(index of its word, value, attached with '=')``."""
    found: list[tuple[int, str, bool]] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word == flag and i + 1 < len(words):
            found.append((i + 1, words[i + 1], False))
            i += 2
            continue
        if word.startswith(flag + "="):
            found.append((i, word[len(flag) + 1 :], True))
        elif word.startswith("-") and "=" not in word and word not in BOOLEAN_BUILD_FLAGS:
            i += 1  # another flag's value: `--label --secret` labels, it is no secret
        i += 1
    return found


def secret_fields(value: str) -> list[tuple[str, str]]:
    """``--secret``'s value as ``(key, value)`` fields (a field without ``=`` has value ``""``)."""
    # lazy: only a --secret needs it; the hook's imports stay lean
    import csv  # noqa: PLC0415

    try:
        row = next(csv.reader([value]), [])
    except csv.Error:
        row = value.split(",")
    fields = []
    for field in row:
        key, _, val = field.partition("=")
        fields.append((key.strip().lower(), val))
    return fields


def join_fields(fields: Sequence[tuple[str, str]]) -> str:
    """The ``--secret`` value of ``fields``, quoting a field that holds ``,`` or ``"``."""
    out = []
    for key, val in fields:
        field = f"{key}={val}"
        if "," in field or '"' in field:
            field = '"' + field.replace('"', '""') + '"'
        out.append(field)
    return ",".join(out)


def env_values(words: Sequence[str], env: Mapping[str, str]) -> list[tuple[str, str]]:
    """Values the build reads from ``env`` through these words: ``(what, value)`` each.

    ``--build-arg NAME`` (no ``=``) passes ``NAME``'s value from the environment; ``--secret``
    with ``env=NAME`` passes ``NAME``'s; ``--secret id=ID`` with neither ``env`` nor ``src``
    falls back to the variable ``ID`` (buildx does). Unset names are left out.
    """
    found: list[tuple[str, str]] = []
    for _, value, _ in flag_values(words, "--build-arg"):
        if "=" not in value and value in env:
            found.append((f"--build-arg {value}", env[value]))
    for _, value, _ in flag_values(words, "--secret"):
        fields = dict(secret_fields(value))
        name = fields.get("env") or (
            fields.get("id") if not (fields.keys() & {"src", "source"}) else None
        )
        if name and name in env:
            found.append((f"--secret id={fields.get('id', '')} (from {name})", env[name]))
    return found
