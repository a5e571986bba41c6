"""The argument parser on its own: global options on either side of the command."""

from __future__ import annotations

import pytest

from twelvelabs_embed.cli.parser import build_parser


@pytest.mark.parametrize(
    "argv",
    [
        ["--api-key", "K", "--base-url", "http://h/v1.3", "--debug", "embed", "a.mp4"],
        ["embed", "a.mp4", "--api-key", "K", "--base-url", "http://h/v1.3", "--debug"],
        ["--debug", "embed", "--api-key=K", "a.mp4", "--base-url", "http://h/v1.3"],
    ],
)
def test_global_options_are_read_before_and_after_the_command(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert (args.command, args.inputs) == ("embed", ["a.mp4"])
    assert (args.api_key, args.base_url, args.debug) == ("K", "http://h/v1.3", True)


def test_unset_global_options_keep_their_defaults_after_a_command() -> None:
    args = build_parser().parse_args(["status", "abc"])
    assert (args.api_key, args.base_url, args.debug) == (None, None, False)


def test_an_option_after_the_command_wins_over_the_same_one_before() -> None:
    args = build_parser().parse_args(["--api-key", "before", "list", "--api-key", "after"])
    assert args.api_key == "after"


@pytest.mark.parametrize("command", [["status", "abc"], ["retrieve", "abc"], ["list"], ["demo"]])
def test_every_command_takes_the_global_options(command: list[str]) -> None:
    args = build_parser().parse_args([*command, "--debug", "--api-key", "K"])
    assert args.debug is True and args.api_key == "K"
