"""Shell completion, as click 8 provides it: ``_BACKPROP_COMPLETE={bash,zsh,fish}_source
backprop`` prints the script the README tells users to load, and the completions it asks
for name the commands and options."""

from __future__ import annotations

import pytest

from tests.harness import ROOT, run_process


@pytest.mark.parametrize(("shell", "marker"), [
    ("bash", "complete -o nosort -F _backprop_completion backprop"),
    ("zsh", "compdef _backprop_completion backprop"),
    ("fish", "complete --no-files --command backprop"),
])
def test_each_shell_gets_a_completion_script(shell: str, marker: str) -> None:
    done = run_process(env={"_BACKPROP_COMPLETE": f"{shell}_source"}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    assert marker in done.stdout.decode(), done.stdout


def complete(words: str, cword: int) -> list[str]:
    done = run_process(env={"_BACKPROP_COMPLETE": "bash_complete", "COMP_WORDS": words,
                            "COMP_CWORD": str(cword)}, timeout=60)
    assert done.returncode == 0, done.stderr
    return [line.split(",", 1)[1] for line in done.stdout.decode().splitlines()]


def test_completion_names_commands_and_options() -> None:
    assert complete("backprop ev", 1) == ["eval"]
    assert "--each-line" in complete("backprop eval x x=1 --ea", 4)


def test_completing_an_option_value_is_not_an_error() -> None:
    complete("backprop eval x x=1 -f", 4)  # -f still waits for its FILE


def test_the_readme_says_how_to_set_it_up() -> None:
    readme = (ROOT / "README.md").read_text()
    for line in ('eval "$(_BACKPROP_COMPLETE=bash_source backprop)"',
                 'eval "$(_BACKPROP_COMPLETE=zsh_source backprop)"',
                 "_BACKPROP_COMPLETE=fish_source backprop > ~/.config/fish/completions/"
                 "backprop.fish"):
        assert line in readme, line
