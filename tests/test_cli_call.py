"""`flask call` and `flask text` through Click's runner."""

from __future__ import annotations


def test_call_in_the_terminal(runner, line):
    result = runner.invoke(args=["call"], input="3\n\nmain menu\n/quit\n")
    assert result.exit_code == 0, result.output
    output = result.output
    assert "Line:\n  " + line.phrases["greeting"].split()[0] in output
    assert "Part 1 of" in output                      # the key 3 chose a topic
    assert line.phrases["silence"].split(".")[0] in output  # the empty line was silence
    assert "Main menu." in output                     # the words were speech
    assert output.rstrip().endswith("You hung up.")
    assert max(len(row) for row in output.splitlines()) <= 80  # wrapped for reading


def test_call_ends_when_the_line_says_goodbye(runner):
    result = runner.invoke(args=["call"], input="goodbye\n")
    assert result.exit_code == 0 and result.output.rstrip().endswith("The line hung up.")


def test_call_ends_at_end_of_input(runner):
    result = runner.invoke(args=["call"], input="")
    assert result.exit_code == 0 and "You hung up." in result.output


def test_call_signs_its_requests_when_a_token_is_set(make_app):
    app = make_app(TWILIO_AUTH_TOKEN="cli-token")
    result = app.test_cli_runner().invoke(args=["call"], input="1\n/quit\n")
    assert result.exit_code == 0 and "Part 1 of" in result.output


def test_text_in_the_terminal(runner):
    result = runner.invoke(args=["text"], input="MENU\nRISKS\nMORE\nSTOP\nMENU\n/quit\n")
    assert result.exit_code == 0, result.output
    replies = result.output.split("Line:")[1:]
    assert len(replies) == 5
    assert "RISKS" in replies[0] and "MORE" in replies[1] and replies[1] != replies[2]
    assert "(no reply)" in replies[3] and "(no reply)" in replies[4]  # STOP is final until START
