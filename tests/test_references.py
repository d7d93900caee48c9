"""Plugin references named as the Buildkite agent names them.

The expected values were worked out by hand from the agent's Go source (``agent/plugin/plugin.go``:
``CreatePlugin``, ``Name``, ``Identifier``, ``RepositorySubdirectory``;
``internal/job/plugin.go``: the checkout directory), not from this package.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ecr_cache_tui.config.references import (
    checked_out_at,
    env_name,
    identifier,
    parse_reference,
    plugin_name,
)

NAMES = [
    # reference, Name(), Identifier()
    ("ecr-cache-tui#v1.0.0", "ecr-cache-tui", "ecr-cache-tui-v1-0-0"),
    (
        "github.com/acme/ecr-cache-tui-buildkite-plugin#v1.0.0",
        "ecr-cache-tui",
        "github-com-acme-ecr-cache-tui-buildkite-plugin-v1-0-0",
    ),
    (
        "https://github.com/acme/ecr-cache-tui-buildkite-plugin.git#v1.0.0",
        "ecr-cache-tui",
        "github-com-acme-ecr-cache-tui-buildkite-plugin-git-v1-0-0",
    ),
    # user and query are not part of the location: no credentials in a directory name.
    (
        "https://user:hunter2@git.example.com/x/ECR-Cache-TUI.git?depth=1#main",
        "ecr-cache-tui-git",
        "git-example-com-x-ECR-Cache-TUI-git-main",
    ),
    (
        "ssh://git@github.com/acme/ecr-cache.git#v2",
        "ecr-cache-git",
        "github-com-acme-ecr-cache-git-v2",
    ),
    ("file:///x/ecr-cache-tui", "ecr-cache-tui", "x-ecr-cache-tui"),
    ("/opt/plugins/ecr-cache-tui/", "ecr-cache-tui", "opt-plugins-ecr-cache-tui"),
    ("./plugins/ECR  Cache TUI", "ecr-cache-tui", "plugins-ECR-Cache-TUI"),
    ("acme/ecr-cache#v2", "ecr-cache", "acme-ecr-cache-v2"),
    ("github.com/acme/repo/.buildkite", "buildkite", "github-com-acme-repo-buildkite"),
    ("github.com/acme/a-buildkite-plugin-b#v1", "a-b", "github-com-acme-a-buildkite-plugin-b-v1"),
    (
        "github.com/seek-oss/docker-ecr-cache-buildkite-plugin#v2.2.0",
        "docker-ecr-cache",
        "github-com-seek-oss-docker-ecr-cache-buildkite-plugin-v2-2-0",
    ),
    ("", "", ""),
]


@pytest.mark.parametrize(("reference", "name", "directory"), NAMES)
def test_names_and_checkout_directories_are_the_agents(
    reference: str, name: str, directory: str
) -> None:
    parsed = parse_reference(reference)
    assert plugin_name(parsed) == name
    assert identifier(parsed) == directory


def test_the_environment_name_is_the_agents_format() -> None:
    assert env_name("ecr-cache-tui") == "ECR_CACHE_TUI"
    assert env_name("a b--c") == "A_B__C"


def test_a_plugin_is_found_by_the_directory_the_agent_cloned_it_into(tmp_path: Path) -> None:
    ref = parse_reference("github.com/acme/my-cache-buildkite-plugin#v1.0.0")
    checkout = tmp_path / "build"
    for layout in ("agent-1/", ""):  # <plugins-path>/<agent name>/<id>, older <plugins-path>/<id>
        here = tmp_path / f"plugins/{layout}github-com-acme-my-cache-buildkite-plugin-v1-0-0"
        here.mkdir(parents=True)
        assert checked_out_at(ref, here, checkout)
    other = parse_reference("github.com/acme/my-cache-buildkite-plugin#v1.0.1")
    assert not checked_out_at(other, here, checkout)


def test_a_plugin_in_a_subdirectory_of_its_repository_is_found_below_the_clone(
    tmp_path: Path,
) -> None:
    ref = parse_reference("github.com/acme/plugins/ecr-cache-tui#v1")
    here = tmp_path / "plugins/agent/github-com-acme-plugins-ecr-cache-tui-v1/ecr-cache-tui"
    here.mkdir(parents=True)
    assert checked_out_at(ref, here, tmp_path / "build")
    assert not checked_out_at(ref, here.parent, tmp_path / "build")


def test_a_vendored_plugin_is_found_in_the_checkout(tmp_path: Path) -> None:
    checkout = tmp_path / "build"
    here = checkout / ".buildkite/plugins/ecr-cache"
    here.mkdir(parents=True)
    assert checked_out_at(parse_reference("./.buildkite/plugins/ecr-cache"), here, checkout)
    assert not checked_out_at(parse_reference("./.buildkite/plugins/other"), here, checkout)
    assert not checked_out_at(parse_reference(""), here, checkout)


def test_a_local_path_is_also_found_where_it_is(tmp_path: Path) -> None:
    # The agent clones it (by identifier, as above); a hook run in place is found too.
    source = tmp_path / "src/ecr-cache-tui"
    source.mkdir(parents=True)
    for text in (f"file://{source}", str(source), f"file://{source}/"):
        assert checked_out_at(parse_reference(text), source, tmp_path / "build")
    assert not checked_out_at(parse_reference(f"file://{tmp_path}/src/other"), source, tmp_path)
