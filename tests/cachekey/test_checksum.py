"""The cache tag (SPEC §3): deterministic, sensitive to every input and to nothing else."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from ecr_cache_tui.cachekey.checksum import compute, resolve_platform, tag_of
from ecr_cache_tui.cachekey.inputs import Manifest
from ecr_cache_tui.config import PluginConfig, parse
from ecr_cache_tui.errors import ConfigError

SLUGS = {"BUILDKITE_ORGANIZATION_SLUG": "acme", "BUILDKITE_PIPELINE_SLUG": "web"}
PLATFORM = "linux/amd64"

# Every hashed input is set, so each can be changed on its own.
BASE: dict[str, Any] = {
    "dockerfile": "docker/Dockerfile",
    "context": ".",
    "target": "deps",
    "build-args": ["NODE_ENV", "REGISTRY=internal"],
    "additional-build-args": "--label team=web",
    "cache-on": [
        "**/package.json",
        "package-lock.json",
        "config/settings.json#.deps.react",
        "generated/*.lock",
    ],
    # None of these is hashed:
    "secrets": ["NPM_TOKEN"],
    "unhashed-build-args": ["BUILD_TOKEN"],
    "ecr-name": "caches/web",
    "region": "eu-west-1",
    "max-age-days": 30,
}
ENV = {**SLUGS, "NODE_ENV": "production", "BUILD_TOKEN": "t0ken", "NPM_TOKEN": "n"}


def make_checkout(root: Path) -> Path:
    files = {
        "docker/Dockerfile": "FROM node:20\nRUN npm ci\n",
        "docker/Other.Dockerfile": "FROM node:20\nRUN npm ci\n",
        "package.json": '{"name": "root"}',
        "package-lock.json": '{"lockfileVersion": 3}',
        "apps/web/package.json": '{"name": "web"}',
        "apps/api/package.json": '{"name": "api"}',
        "libs/ünïcödé/package.json": '{"name": "unicode"}',
        "libs/sp ace/package.json": '{"name": "space"}',
        "config/settings.json": '{"deps": {"react": "18.2.0"}, "other": 1}',
        "src/index.js": "console.log(1)\n",
        "generated/.keep": "",
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    return make_checkout(tmp_path / "checkout")


def _config(checkout: Path, raw: dict[str, Any] | None = None, **env: str) -> PluginConfig:
    return parse(BASE if raw is None else raw, {**ENV, **env}, checkout)


def _tag(checkout: Path, raw: dict[str, Any] | None = None, **env: str) -> str:
    return compute(_config(checkout, raw, **env), checkout, platform=PLATFORM).tag


def test_the_tag_is_32_hex_characters_recomputable_from_the_manifest(checkout: Path) -> None:
    result = compute(_config(checkout), checkout, platform=PLATFORM)
    assert len(result.tag) == 32
    assert result.tag == result.tag.lower()
    int(result.tag, 16)
    assert tag_of(result.manifest.entries) == result.tag
    # ... also after a round trip through the image label.
    label = Manifest.from_label(result.manifest.to_label())
    assert tag_of(label.entries, label.version) == result.tag


def test_the_manifest_lists_the_inputs_in_spec_order(checkout: Path) -> None:
    manifest = compute(_config(checkout), checkout, platform=PLATFORM).manifest
    assert [(e.kind, e.name) for e in manifest.entries] == [
        ("dockerfile", "docker/Dockerfile"),
        ("context", "."),
        ("target", "deps"),
        ("platform", PLATFORM),
        ("build-arg", "NODE_ENV"),
        ("build-arg", "REGISTRY"),
        ("additional-build-args", "--label team=web"),
        ("cache-on", "**/package.json"),
        ("cache-on", "package-lock.json"),
        ("cache-on", "config/settings.json#.deps.react"),
        ("cache-on", "generated/*.lock"),
    ]
    by_name = {e.name: e for e in manifest.entries}
    assert [f.path for f in by_name["**/package.json"].files] == [
        "apps/api/package.json",
        "apps/web/package.json",
        "libs/sp ace/package.json",
        "libs/ünïcödé/package.json",
        "package.json",
    ]
    assert by_name["generated/*.lock"].note == "no match"
    assert by_name["NODE_ENV"].note == "from environment"


def test_no_value_from_the_environment_appears_in_the_manifest(checkout: Path) -> None:
    manifest = compute(_config(checkout), checkout, platform=PLATFORM).manifest
    text = json.dumps(manifest.to_dict())
    assert "production" not in text
    assert "t0ken" not in text


def test_a_literal_build_arg_keeps_its_value_one_from_the_environment_does_not(
    checkout: Path,
) -> None:
    manifest = compute(_config(checkout), checkout, platform=PLATFORM).manifest
    by_name = {e.name: e for e in manifest.entries}
    assert (by_name["REGISTRY"].value, by_name["NODE_ENV"].value) == ("internal", None)


def test_two_copies_at_different_paths_have_the_same_tag(tmp_path: Path) -> None:
    first = make_checkout(tmp_path / "a")
    second = tmp_path / "deeper" / "other name"
    shutil.copytree(first, second, symlinks=True)
    assert _tag(first) == _tag(second)


def test_the_same_tag_under_any_locale_hash_seed_and_path(tmp_path: Path) -> None:
    first = make_checkout(tmp_path / "a")
    second = tmp_path / "b"
    shutil.copytree(first, second, symlinks=True)
    expected = _tag(first)
    variants = [
        (first, {"LC_ALL": "C", "PYTHONHASHSEED": "0"}),
        (second, {"LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "12345"}),
        (second, {"LC_ALL": "POSIX", "PYTHONHASHSEED": "random"}),
        # No UTF-8 help from Python at all: the ASCII locale of old systems.
        (first, {"LC_ALL": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"}),
    ]
    for where, extra in variants:
        env = {"PATH": os.environ.get("PATH", ""), **ENV, **extra}
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "ecr_cache_tui",
                "checksum",
                "--json",
                "--platform",
                PLATFORM,
                "--config",
                json.dumps(BASE),
                "--checkout",
                str(where),
            ],
            capture_output=True,
            check=True,
            env=env,
        ).stdout
        assert json.loads(out.decode("utf-8"))["tag"] == expected, extra


def _write(checkout: Path, name: str, text: str) -> None:
    path = checkout / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


CHANGES: dict[str, Any] = {
    "dockerfile content": lambda c: _write(c, "docker/Dockerfile", "FROM node:22\n"),
    "dockerfile path": {"dockerfile": "docker/Other.Dockerfile", "context": "."},
    "inline dockerfile": {"dockerfile-inline": "FROM node:20\nRUN npm ci\n", "dockerfile": None},
    "context": {"context": "docker"},
    "target": {"target": "test"},
    "no target": {"target": None},
    "platform": "linux/arm64",
    "literal build arg": {"build-args": ["NODE_ENV", "REGISTRY=public"]},
    "build arg from env": {"env": {"NODE_ENV": "development"}},
    "extra build arg": {"build-args": ["NODE_ENV", "REGISTRY=internal", "X=1"]},
    "additional build args": {"additional-build-args": "--label team=api"},
    "cache-on file content": lambda c: _write(c, "apps/web/package.json", '{"name": "w"}'),
    "cache-on new match": lambda c: _write(c, "apps/new/package.json", "{}"),
    "cache-on removed match": lambda c: (c / "apps/api/package.json").unlink(),
    "cache-on renamed match": lambda c: (c / "apps/api").rename(c / "apps/api2"),
    "cache-on pattern": {"cache-on": ["**/package.json", "package-lock.json"]},
    "cache-on order": {"cache-on": list(reversed(BASE["cache-on"]))},
    "selected json value": lambda c: _write(
        c, "config/settings.json", '{"deps": {"react": "18.3.0"}, "other": 1}'
    ),
    "file under an empty pattern": lambda c: _write(c, "generated/a.lock", ""),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_every_input_changes_the_tag(checkout: Path, change: str) -> None:
    before = _tag(checkout)
    how = CHANGES[change]
    raw, env, platform = dict(BASE), {}, PLATFORM
    if callable(how):
        how(checkout)
    elif isinstance(how, str):
        platform = how
    elif "env" in how:
        env = how["env"]
    else:
        raw.update(how)
        raw = {k: v for k, v in raw.items() if v is not None}
    after = compute(_config(checkout, raw, **env), checkout, platform=platform).tag
    assert after != before


UNHASHED: dict[str, Any] = {
    "unrelated file": lambda c: _write(c, "src/index.js", "console.log(2)\n"),
    "unrelated new file": lambda c: _write(c, "apps/web/README.md", "hi"),
    "hidden package.json": lambda c: _write(c, ".cache/package.json", "{}"),
    "json outside the selection": lambda c: _write(
        c, "config/settings.json", '{"deps": {"react": "18.2.0"}, "other": 2}'
    ),
    "json reformatted": lambda c: _write(
        c, "config/settings.json", '{\n  "other": 1,\n  "deps": {"react": "18.2.0"}\n}'
    ),
    "secret value": {"env": {"NPM_TOKEN": "other"}},
    "secrets": {"secrets": ["OTHER"]},
    "unhashed build arg": {"env": {"BUILD_TOKEN": "rotated"}},
    "unhashed build args": {"unhashed-build-args": ["A=1", "B=2"]},
    "repository": {"ecr-name": "other/repo"},
    "region": {"region": "us-east-1"},
    "registry": {"registry-hostname": "127.0.0.1:5000", "registry-provider": "oci"},
    "max age": {"max-age-days": 7},
    "push latest": {"push-latest": False},
}


@pytest.mark.parametrize("change", UNHASHED, ids=list(UNHASHED))
def test_what_is_not_an_input_does_not_change_the_tag(checkout: Path, change: str) -> None:
    before = _tag(checkout)
    how = UNHASHED[change]
    raw, env = dict(BASE), {}
    if callable(how):
        how(checkout)
    elif "env" in how:
        env = how["env"]
    else:
        raw.update(how)
    assert _tag(checkout, raw, **env) == before


def test_build_arg_order_matters(checkout: Path) -> None:
    one = _tag(checkout, {**BASE, "build-args": ["A=1", "B=2"]})
    other = _tag(checkout, {**BASE, "build-args": ["B=2", "A=1"]})
    assert one != other


def test_an_unset_build_arg_hashes_as_empty_and_warns(checkout: Path) -> None:
    raw = {**BASE, "build-args": ["MISSING"]}
    result = compute(_config(checkout, raw), checkout, platform=PLATFORM)
    assert any("MISSING" in w and "not set" in w for w in result.warnings)
    assert result.manifest.entries[4].note == "unset in environment"
    assert result.tag == _tag(checkout, {**BASE, "build-args": ["MISSING="]})


def test_a_pattern_matching_nothing_or_only_directories_is_recorded_and_warned(
    checkout: Path,
) -> None:
    raw = {**BASE, "cache-on": ["nothing/*.json", "apps/*"]}
    result = compute(_config(checkout, raw), checkout, platform=PLATFORM)
    notes = {e.name: e.note for e in result.manifest.entries if e.kind == "cache-on"}
    assert notes == {"nothing/*.json": "no match", "apps/*": "directories only"}
    assert len(result.warnings) == 2
    assert "nothing/*.json" in result.warnings[0]
    assert "only directories" in result.warnings[1]
    # A file appearing where there were only directories changes the tag.
    _write(checkout, "apps/notes.txt", "x")
    assert compute(_config(checkout, raw), checkout, platform=PLATFORM).tag != result.tag


def test_a_missing_key_hashes_as_null(checkout: Path) -> None:
    raw = {**BASE, "cache-on": ["config/settings.json#.deps.vue"]}
    before = _tag(checkout, raw)
    _write(checkout, "config/settings.json", '{"deps": {"react": "19"}, "other": 5}')
    assert _tag(checkout, raw) == before
    _write(checkout, "config/settings.json", '{"deps": {"vue": "3"}}')
    assert _tag(checkout, raw) != before


@pytest.mark.parametrize(
    ("entry", "content", "message"),
    [
        ("missing.json#.a", None, "no such file 'missing.json'"),
        ("bad.json#.a", "{not json", "bad.json is not valid JSON"),
        ("bad.json#.a", '{"a": NaN}', "bad.json is not valid JSON"),
        ("bad.json#.a", b"\xff\xfe", "bad.json is not valid JSON"),
    ],
)
def test_a_selector_on_a_missing_or_invalid_file_names_the_file(
    checkout: Path, entry: str, content: str | bytes | None, message: str
) -> None:
    if isinstance(content, bytes):
        (checkout / "bad.json").write_bytes(content)
    elif content is not None:
        _write(checkout, "bad.json", content)
    config = _config(checkout, {**BASE, "cache-on": [entry]})
    with pytest.raises(ConfigError, match=message) as caught:
        compute(config, checkout, platform=PLATFORM)
    assert caught.value.option == "cache-on"


def test_a_selector_over_a_glob_hashes_each_matched_file(checkout: Path) -> None:
    raw = {**BASE, "cache-on": ["apps/*/package.json#.name"]}
    result = compute(_config(checkout, raw), checkout, platform=PLATFORM)
    (entry,) = [e for e in result.manifest.entries if e.kind == "cache-on"]
    assert [f.path for f in entry.files] == ["apps/api/package.json", "apps/web/package.json"]
    _write(checkout, "apps/web/package.json", '{"name": "web", "version": "2"}')
    assert _tag(checkout, raw) == result.tag


def test_a_dangling_symlink_is_hashed_by_its_target(checkout: Path) -> None:
    raw = {**BASE, "cache-on": ["links/*"]}
    (checkout / "links").mkdir()
    (checkout / "links/broken").symlink_to("nowhere")
    before = _tag(checkout, raw)
    (checkout / "links/broken").unlink()
    (checkout / "links/broken").symlink_to("elsewhere")
    assert _tag(checkout, raw) != before


def test_a_big_file_is_hashed_in_chunks_not_read_whole(checkout: Path) -> None:
    chunk = os.urandom(1 << 20)
    with (checkout / "package-lock.json").open("wb") as f:
        for _ in range(24):
            f.write(chunk)
    config = _config(checkout, {**BASE, "cache-on": ["package-lock.json"]})
    tracemalloc.start()
    try:
        compute(config, checkout, platform=PLATFORM)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20  # the 1 MiB buffer and change, not 24 MiB


def test_the_platform_comes_from_the_option_before_the_daemon(checkout: Path) -> None:
    asked: list[bool] = []

    def daemon() -> str:
        asked.append(True)
        return "linux/arm64"

    pinned = _config(checkout, {**BASE, "platform": "linux/s390x"})
    assert resolve_platform(pinned, daemon) == "linux/s390x"
    assert asked == []
    assert resolve_platform(_config(checkout), daemon) == "linux/arm64"


def test_a_daemon_platform_that_is_not_os_arch_is_refused(checkout: Path) -> None:
    with pytest.raises(ConfigError, match="from the Docker daemon"):
        resolve_platform(_config(checkout), lambda: "Linux x86_64")


def test_the_engine_prints_nothing(checkout: Path, capfd: pytest.CaptureFixture[str]) -> None:
    compute(_config(checkout, {**BASE, "build-args": ["MISSING"]}), checkout, platform=PLATFORM)
    assert capfd.readouterr() == ("", "")


# -- files that are not regular files, and files too big or deep ---------------------------


def _special_files(checkout: Path) -> None:
    os.mkfifo(checkout / "generated" / "pipe.lock")
    # /dev/null's numbers: a device node a build could leave in its output (mknod needs root).
    os.mknod(checkout / "generated" / "null.lock", 0o600 | 0o020000, os.makedev(1, 3))


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")
def test_a_fifo_or_device_matched_by_a_pattern_is_recorded_as_such_never_opened(
    checkout: Path,
) -> None:
    _write(checkout, "generated/real.lock", "x")
    before = _tag(checkout)
    _special_files(checkout)
    # Opening the FIFO for reading without O_NONBLOCK would wait for a writer forever.
    result = compute(_config(checkout), checkout, platform=PLATFORM)
    entry = next(e for e in result.manifest.entries if e.name == "generated/*.lock")
    digests = {f.path: f.digest for f in entry.files}
    assert set(digests) == {"generated/null.lock", "generated/pipe.lock", "generated/real.lock"}
    assert digests["generated/pipe.lock"] != digests["generated/null.lock"]
    assert result.tag != before


def test_a_selector_on_a_fifo_is_refused_at_once_naming_the_file(checkout: Path) -> None:
    os.mkfifo(checkout / "config" / "pipe.json")
    config = _config(checkout, {**BASE, "cache-on": ["config/pipe.json#.a"]})
    with pytest.raises(ConfigError, match=r"config/pipe\.json is a fifo, not a regular file"):
        compute(config, checkout, platform=PLATFORM)


@pytest.mark.parametrize("depth", [2000, 100_000])
def test_a_selector_on_json_nested_too_deep_is_refused_naming_the_file(
    checkout: Path, depth: int
) -> None:
    _write(checkout, "config/deep.json", '{"a": ' + "[" * depth + "]" * depth + "}")
    config = _config(checkout, {**BASE, "cache-on": ["config/deep.json#.a"]})
    with pytest.raises(ConfigError, match=r"config/deep\.json is not valid JSON .*nested too deep"):
        compute(config, checkout, platform=PLATFORM)


@pytest.mark.parametrize("number", ["1" * 5000, "1e400"])
def test_a_selector_on_json_with_an_unreadable_number_is_refused(
    checkout: Path, number: str
) -> None:
    _write(checkout, "config/n.json", '{"a": ' + number + "}")
    config = _config(checkout, {**BASE, "cache-on": ["config/n.json#.a"]})
    with pytest.raises(ConfigError, match=r"config/n\.json is not valid JSON"):
        compute(config, checkout, platform=PLATFORM)


def test_a_pattern_over_the_match_bound_is_refused_naming_it(
    checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecr_cache_tui.cachekey import globbing

    monkeypatch.setattr(globbing, "MAX_MATCHES", 5)
    config = _config(checkout, {**BASE, "cache-on": ["**"]})
    with pytest.raises(ConfigError, match=r'^cache-on: "\*\*" is not valid: it matches more'):
        compute(config, checkout, platform=PLATFORM)
