"""The Dockerfile reader against Docker's documented behaviour (Dockerfile reference, BuildKit).

What the real daemon copies is checked in ``tests/cachekey/test_copied_docker.py``; heredocs and
``--parents`` postdate the dockerd 20.10 here, so they are pinned against the reference.
"""

from __future__ import annotations

import time

from ecr_cache_tui.cachekey.dockerfile import MAX_BYTES, read_dockerfile
from ecr_cache_tui.cachekey.shellwords import WordError, expand_word


def _sources(text: str, **kwargs: object) -> list[tuple[int, tuple[str, ...]]]:
    reading = read_dockerfile(text, **kwargs)  # type: ignore[arg-type]
    return [(c.line, c.context_sources) for c in reading.copies]


def test_shell_and_json_forms_give_the_same_sources() -> None:
    text = 'FROM scratch\nCOPY a.txt b/ /dst/\nCOPY ["c d.txt", "e", "/dst/"]\n'
    assert _sources(text) == [(2, ("a.txt", "b/")), (3, ("c d.txt", "e"))]


def test_the_escape_directive_changes_the_continuation_character() -> None:
    text = "# escape=`\nFROM scratch\nCOPY a `\n  b /dst/\n"
    assert _sources(text) == [(3, ("a", "b"))]
    assert read_dockerfile(text).escape == "`"


def test_a_directive_after_a_blank_line_is_only_a_comment() -> None:
    text = "\n# escape=`\nFROM scratch\nCOPY a \\\n  b /dst/\n"
    reading = read_dockerfile(text)
    assert reading.escape == "\\"
    assert [c.context_sources for c in reading.copies] == [("a", "b")]


def test_syntax_directive_is_read() -> None:
    assert read_dockerfile("# syntax=docker/dockerfile:1.7\nFROM scratch\n").syntax == (
        "docker/dockerfile:1.7"
    )


def test_comments_and_blank_lines_inside_a_continuation_are_skipped() -> None:
    text = "FROM scratch\nCOPY a \\\n# a comment \\\n\n   b \\\n  c /dst/\n"
    assert _sources(text) == [(2, ("a", "b", "c"))]


def test_an_escaped_escape_character_does_not_continue_the_line() -> None:
    text = "FROM scratch\nCOPY a\\\\ /dst/\nCOPY b /dst/\n"
    assert _sources(text) == [(2, ("a\\",)), (3, ("b",))]


def test_crlf_line_endings_and_a_byte_order_mark() -> None:
    text = "\ufeffFROM scratch\r\nCOPY a \\\r\n b /dst/\r\n"
    assert _sources(text) == [(2, ("a", "b"))]


def test_run_heredoc_bodies_are_not_instructions() -> None:
    text = (
        "FROM scratch\n"
        "RUN <<EOF\nCOPY not-a-source /x\nEOF\n"
        "RUN <<-'END' bash\n\tCOPY nor-this /x\n\tEND\n"
        "RUN cat <<A <<B\nCOPY no /x\nA\nCOPY nope /x\nB\n"
        "COPY real /dst/\n"
    )
    assert _sources(text) == [(13, ("real",))]


def test_copy_heredoc_reads_nothing_from_the_context() -> None:
    text = 'FROM scratch\nCOPY <<EOF <<"TWO" file.txt /dst/\nhello\nEOF\n$x\nTWO\n'
    (copy,) = read_dockerfile(text).copies
    assert copy.heredocs == ("EOF", "TWO")
    assert copy.context_sources == ("file.txt",)


def test_an_unterminated_heredoc_is_a_warning_naming_the_line() -> None:
    reading = read_dockerfile("FROM scratch\nCOPY a /a\nRUN <<EOF\necho\n")
    assert reading.warnings == ("Dockerfile:3: the heredoc <<EOF is never terminated",)
    assert [c.context_sources for c in reading.copies] == [("a",)]


def test_copy_from_reads_no_context_and_makes_a_dependency() -> None:
    text = (
        "FROM scratch AS build\nCOPY built /b\n"
        "FROM scratch AS unused\nCOPY never /n\n"
        "FROM scratch\nCOPY --from=build /b /b\nCOPY --from=0 /b /c\nCOPY mine /m\n"
    )
    reading = read_dockerfile(text)
    assert reading.needed == (0, 2)
    assert [(c.line, c.context_sources, c.from_stage) for c in reading.copies] == [
        (2, ("built",), None),
        (6, (), 0),
        (7, (), 0),
        (8, ("mine",), None),
    ]


def test_target_and_its_dependencies_through_from_and_run_mount() -> None:
    text = (
        "FROM scratch AS base\nCOPY base.txt /\n"
        "FROM base AS deps\nCOPY deps.txt /\n"
        "FROM scratch AS tools\nCOPY tools.txt /\n"
        "FROM scratch AS other\nCOPY other.txt /\n"
        "FROM deps AS Test\nRUN --mount=type=cache,target=/c,from=tools true\n"
        "FROM scratch AS last\nCOPY last.txt /\n"
    )
    reading = read_dockerfile(text, target="test")
    assert reading.target == 4
    assert reading.needed == (0, 1, 2, 4)
    assert [c.context_sources for c in reading.copies] == [
        ("base.txt",),
        ("deps.txt",),
        ("tools.txt",),
    ]
    assert read_dockerfile(text).needed == (5,)


def test_copy_from_a_stage_defined_further_down() -> None:
    text = "FROM scratch\nCOPY --from=later /x /x\nFROM scratch AS later\nCOPY l.txt /\n"
    reading = read_dockerfile(text, target=None)
    assert reading.needed == (1,)
    reading = read_dockerfile(text + "FROM scratch\nCOPY --from=0 /x /x\n")
    assert reading.needed == (0, 1, 2)


def test_copy_from_an_image_is_no_stage() -> None:
    (copy,) = read_dockerfile("FROM scratch\nCOPY --from=nginx:1 /etc/x /x\n").copies
    assert copy.from_ == "nginx:1"
    assert copy.from_stage is None
    assert copy.context_sources == ()


def test_add_urls_and_git_references_are_remote() -> None:
    text = (
        "FROM scratch\n"
        "ADD https://example.com/a.tgz git@github.com:o/r.git https://github.com/o/r.git"
        " local.tgz /d/\n"
        "COPY http-ish /d/\n"
    )
    first, second = read_dockerfile(text).copies
    assert first.remote == (
        "https://example.com/a.tgz",
        "git@github.com:o/r.git",
        "https://github.com/o/r.git",
    )
    assert first.context_sources == ("local.tgz",)
    assert second.context_sources == ("http-ish",)


def test_global_args_substitute_in_from_and_build_args_override_defaults() -> None:
    text = "ARG REG=docker.io\nARG TAG=3\nFROM $REG/library/alpine:${TAG}\n"
    reading = read_dockerfile(text, build_args={"TAG": "3.19"})
    assert reading.stages[0].base == "docker.io/library/alpine:3.19"
    assert [s.base for s in reading.base_images()] == ["docker.io/library/alpine:3.19"]


def test_a_global_arg_is_seen_in_a_stage_only_when_redeclared() -> None:
    text = (
        "ARG DIR=app\nFROM scratch\nCOPY ${DIR:-none}/a /\n"
        "ARG DIR\nCOPY $DIR/b /\nARG OTHER=x$DIR\nCOPY $OTHER /\n"
    )
    assert _sources(text) == [(3, ("none/a",)), (5, ("app/b",)), (7, ("xapp",))]
    assert _sources(text, build_args={"DIR": "given"})[1:] == [(5, ("given/b",)), (7, ("xgiven",))]


def test_env_substitutes_in_sources_and_overrides_an_arg() -> None:
    text = (
        "FROM scratch AS a\nENV SRC=one OTHER=two\nARG SRC=arg\nCOPY $SRC ${OTHER} /\n"
        "ENV OLD old form value\nCOPY ${OLD} /\n"
        "FROM a\nCOPY $SRC /\n"
    )
    assert _sources(text) == [(4, ("one", "two")), (6, ("old form value",)), (8, ("one",))]


def test_stage_args_do_not_pass_to_a_child_stage() -> None:
    text = "FROM scratch AS a\nARG X=1\nFROM a\nCOPY x${X}y /\n"
    assert _sources(text) == [(4, ("xy",))]


def test_an_unset_variable_in_an_external_stage_is_warned_about() -> None:
    reading = read_dockerfile("FROM alpine\nCOPY $HOME/x /\n")
    assert reading.copies[0].context_sources == ("/x",)
    assert reading.warnings == (
        "Dockerfile:2: COPY $HOME/x /: HOME not set in this Dockerfile (read as empty; "
        "the base image may set it)",
    )
    assert read_dockerfile("FROM scratch\nCOPY $HOME/x /\n").warnings == ()


def test_platform_args_are_automatic() -> None:
    text = "ARG TARGETARCH\nFROM img:${TARGETARCH}\nARG TARGETOS\nCOPY bin/$TARGETOS /\n"
    reading = read_dockerfile(text, platform="linux/arm64")
    assert reading.stages[0].base == "img:arm64"
    assert reading.copies[0].context_sources == ("bin/linux",)


def test_flags_are_read_and_ignored_where_they_do_not_change_sources() -> None:
    text = (
        "FROM scratch\n"
        "COPY --chown=1:1 --chmod=755 --link --parents --exclude=*.md --exclude=x a/./b /d/\n"
        "COPY --parents=false c /d/\n"
    )
    first, second = read_dockerfile(text).copies
    assert first.parents
    assert first.excludes == ("*.md", "x")
    assert first.context_sources == ("a/./b",)
    assert not second.parents


def test_unknown_flags_and_bad_substitutions_are_warnings_not_failures() -> None:
    text = "FROM scratch\nCOPY --bogus a /\nCOPY ${X:?unset} b /\nCOPY ${ /\n"
    reading = read_dockerfile(text)
    assert [c.context_sources for c in reading.copies] == [("a",), ("b",), ()]
    assert [w.split(":")[1] for w in reading.warnings] == ["2", "3", "4"]


def test_a_copy_without_destination_is_a_warning() -> None:
    reading = read_dockerfile("FROM scratch\nCOPY onlyone\n")
    assert reading.copies == ()
    assert reading.warnings == ("Dockerfile:2: COPY onlyone: expected sources and a destination",)


def test_instructions_before_from_other_than_arg_are_warned_about() -> None:
    reading = read_dockerfile("COPY a /\nFROM scratch\n")
    assert reading.warnings == ("Dockerfile:1: COPY before the first FROM",)


def test_an_unknown_target_falls_back_to_the_last_stage_with_a_warning() -> None:
    reading = read_dockerfile("FROM scratch AS a\nFROM scratch AS b\n", target="nope")
    assert reading.target == 1
    assert "target stage" in reading.warnings[0]


def test_warnings_escape_control_characters() -> None:
    reading = read_dockerfile("FROM scratch\nCOPY --\x1b[31m a /\n")
    assert "\x1b" not in "".join(reading.warnings)


def test_an_oversized_dockerfile_is_one_warning() -> None:
    reading = read_dockerfile("FROM scratch\n" + "#" * MAX_BYTES)
    assert reading.copies == ()
    assert len(reading.warnings) == 1


def test_hostile_text_stays_linear() -> None:
    nested = "${A:-" * 5000 + "x" + "}" * 5000
    quotes = '"' * 50_000
    cont = "COPY a \\\n" * 20_000
    started = time.process_time()
    reading = read_dockerfile(f"FROM scratch\nCOPY {nested} {quotes} /\n{cont}b /\n")
    assert time.process_time() - started < 5  # a bound on hostile input, not a speed claim
    assert reading.warnings


def test_expand_word_follows_docker_quoting() -> None:
    env = {"A": "1", "E": ""}
    assert expand_word("'$A'\"$A\"$A\\$A", env).text == "$A11$A"
    assert expand_word('"\\x\\$"', env).text == "\\x$"
    assert expand_word("${E:-d}${E-d}${A:+p}${B+p}", env).text == "d" + "" + "p" + ""
    assert expand_word("$B$", env).unset == frozenset({"B"})
    assert expand_word("a`$A", env, "`").text == "a$A"
    for bad in ("${A#x}", "${", "'open", "${B?}"):
        try:
            expand_word(bad, env)
        except WordError:
            continue
        raise AssertionError(bad)


def test_from_platform_is_a_flag_not_the_image_and_keeps_the_stage_name() -> None:
    text = """\
ARG GO=1.22
FROM --platform=$BUILDPLATFORM golang:${GO} AS build
COPY go.mod /src/
FROM --platform=linux/arm64 alpine:3
COPY --from=build /out /out
"""
    reading = read_dockerfile(text, platform="linux/amd64")
    assert reading.warnings == ()
    build, final = reading.stages
    assert (build.name, build.base, build.platform) == ("build", "golang:1.22", "linux/amd64")
    assert (final.base, final.platform, final.base_stage) == ("alpine:3", "linux/arm64", None)
    assert reading.needed == (0, 1), "COPY --from=build still finds its stage"
    assert [s.base for s in reading.base_images()] == ["golang:1.22", "alpine:3"]


def test_run_bind_mounts_of_the_context_are_listed_apart_from_copies() -> None:
    text = (
        "FROM scratch AS tools\n"
        "FROM scratch\nARG SRC=src\n"
        "RUN --mount=type=bind,source=$SRC,target=/s --mount=type=cache,target=/c make\n"
        "RUN --mount=target=/all --mount=type=bind,from=tools,target=/t true\n"
        "COPY a /a\n"
    )
    reading = read_dockerfile(text)
    assert [(m.instruction, m.line, m.sources) for m in reading.mounts] == [
        ("RUN", 4, ("src",)),
        ("RUN", 5, (".",)),
    ]
    assert [c.line for c in reading.copies] == [6]
    assert reading.needed == (0, 1)
