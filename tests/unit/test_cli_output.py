"""How the CLI reports an error: one line on stderr, whatever the terminal width, text taken literally."""

from __future__ import annotations

import pytest
import typer

from platform_core.cli.output import fail


def test_an_error_stays_on_one_line_with_its_brackets(capsys: pytest.CaptureFixture[str]) -> None:
    path = "/tmp/" + "/".join(f"folder-{k}" for k in range(20)) + "/[draft] full"
    with pytest.raises(typer.Exit) as exited:
        fail(f"out: {path} is not empty", code=3)
    assert exited.value.exit_code == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"error: out: {path} is not empty\n"
