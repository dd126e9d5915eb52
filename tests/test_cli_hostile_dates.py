"""`ask --json -` answers hostile date questions and goes on to the next lines (issue 13, #3).

Before the fix, "releases in the last 9999 years", "releases before 0001-01-01" and "releases in January
0000" raised OverflowError/ValueError, which ended ``ask --json -`` and dropped every later line. The
engine's properties are in tests/test_engine_properties.py; this is the command, on both backends.
"""

from __future__ import annotations

import json

from tests.test_cli import SCORE_Q, run

HOSTILE = ["releases in the last 9999 years", "releases before 0001-01-01", "releases in January 0000",
           "releases after 9999-12-31", "releases in the next 10000 years"]


def test_ask_json_stdin_answers_hostile_dates_and_the_lines_after_them(tmp_path, db_url):
    lines = [*HOSTILE, SCORE_Q]
    result = run(tmp_path, "ask", "--json", "-", db=db_url, stdin="".join(q + "\n" for q in lines))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [a["question"] for a in answers] == lines
    for a in answers:
        assert a["title"] and a["text"].strip(), a  # an answer or a reason, never nothing
    assert answers[-1]["found"], answers[-1]
