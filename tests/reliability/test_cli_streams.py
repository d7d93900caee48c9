"""The maintainers' commands with a closed stdin, a closed stdout, or a reader that leaves.

Real processes against moto's ECR server, the streams closed as a shell closes them
(``<&-``, ``>&-``, ``| head -1``): never a traceback, and nothing changed when the command
cannot ask or cannot report.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.cli import ECR_CACHE, run_ecr_cache
from tests.images import MEDIA_TYPE, manifest_text
from tests.services import Services

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient

REPOSITORY = "build-cache/acme/web"


@pytest.fixture
def seeded(ecr_client: ECRClient) -> ECRClient:
    ecr_client.create_repository(repositoryName=REPOSITORY)
    for seed in "ab":
        ecr_client.put_image(
            repositoryName=REPOSITORY,
            imageManifest=manifest_text(seed),
            imageTag=f"tag-{seed}",
            imageManifestMediaType=MEDIA_TYPE,
        )
    return ecr_client


def shell(services: Services, script: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in bash with ``$ECR_CACHE`` set to the command, against moto."""
    return subprocess.run(
        ["bash", "-c", f'ECR_CACHE="{" ".join(ECR_CACHE)}"\n{script}'],
        env={**services.env(moto=True), "PYTHONSAFEPATH": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def refused(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``ecr-cache ARGV`` in ``env`` alone, its output decoded whatever bytes it holds."""
    return run_ecr_cache(*argv, env=env, timeout=60, errors="replace")


def tags(client: ECRClient) -> list[str]:
    images = client.list_images(repositoryName=REPOSITORY)["imageIds"]
    return sorted(i["imageTag"] for i in images if "imageTag" in i)


def test_rebuild_all_with_stdin_closed_asks_gets_no_answer_and_deletes_nothing(
    services: Services, seeded: ECRClient
) -> None:
    done = shell(services, f"$ECR_CACHE rebuild {REPOSITORY} --all <&-")

    assert done.returncode == 2, done.stderr
    assert "no answer on stdin" in done.stderr
    assert "Traceback" not in done.stderr
    assert tags(seeded) == ["tag-a", "tag-b"]


def test_a_closed_stdout_is_exit_2_before_anything_is_done(
    services: Services, seeded: ECRClient
) -> None:
    done = shell(services, f"$ECR_CACHE rebuild {REPOSITORY} --all --yes >&-")

    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "ecr-cache: stdout is closed: nothing was done (redirect it to /dev/null instead)"
    ]
    assert tags(seeded) == ["tag-a", "tag-b"]


def test_ls_into_head_prints_the_first_line_without_a_traceback(
    services: Services, seeded: ECRClient
) -> None:
    done = shell(services, '$ECR_CACHE ls | head -1; echo "status=${PIPESTATUS[0]}" >&2')

    assert done.stdout.startswith("ORG")
    assert done.stdout.count("\n") == 1
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    assert done.stderr.rstrip().splitlines()[-1] in ("status=0", "status=141")


def test_a_reader_gone_before_the_first_write_is_141_without_a_traceback(
    services: Services, seeded: ECRClient
) -> None:
    # The reader closes at once: the command's first write meets a broken pipe (EPIPE).
    done = shell(services, '$ECR_CACHE ls --json | true; echo "status=${PIPESTATUS[0]}" >&2')

    assert done.stderr.splitlines() == ["status=141"], done.stderr


@pytest.mark.parametrize("region", ["\udcff", "bad region", "eu\nwest-1"])
@pytest.mark.parametrize("command", [["ls"], ["policy", "get", "acme/web"]])
def test_a_region_botocore_refuses_is_exit_2_in_one_line(command: list[str], region: str) -> None:
    done = refused(
        [*command, "--region", region],
        {"PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"},
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("ecr-cache: region: ")


@pytest.mark.parametrize(
    ("argv", "start"),
    [
        (["ls", "--profile", "no-such-profile"], "ecr-cache: profile: "),
        (["ls", "--profile", "\udcff"], "ecr-cache: profile: "),
        (["ls", "\udcff"], "ecr-cache: PIPELINE: "),
        (["ls", "a\nb"], "ecr-cache: PIPELINE: "),
        (["rebuild", "Acme/Web!", "--all", "--yes"], "ecr-cache: PIPELINE: "),
        (["policy", "get", "x" * 3000], "ecr-cache: PIPELINE: "),
        (["ls", "--account-id", "abc"], "ecr-cache: --account-id: "),
    ],
)
def test_maintainer_arguments_aws_would_refuse_are_exit_2_in_one_line(
    argv: list[str], start: str, tmp_path: Path
) -> None:
    done = refused(
        argv,
        {
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "y",
            "AWS_DEFAULT_REGION": "eu-west-1",
            # Nothing listens here: a call made before the refusal would be exit 3, not 2.
            "AWS_ENDPOINT_URL_ECR": "http://127.0.0.1:9",
        },
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(start), done.stderr
