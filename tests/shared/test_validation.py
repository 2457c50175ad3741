"""Every validation rule of a pipeline file, each reported as FILE:LINE with the node."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from omnix.shared.pipeline import PipelineInvalid, Problem, load_pipeline, parse_pipeline

HEADER = "omnix: 1\nname: demo\n"


def problems_of(text: str, base_dir: Path | None = None) -> list[Problem]:
    with pytest.raises(PipelineInvalid) as info:
        parse_pipeline(textwrap.dedent(text), path="p.yaml", base_dir=base_dir)
    return info.value.problems


def only_problem(text: str, base_dir: Path | None = None) -> Problem:
    problems = problems_of(text, base_dir)
    assert len(problems) == 1, problems
    return problems[0]


def test_the_architecture_example_validates() -> None:
    pipeline = parse_pipeline(
        HEADER
        + textwrap.dedent(
            """\
            params: {min_amount: 5}
            schedule: {cron: "0 6 * * 1-5", timezone: Europe/Berlin, catchup: last}
            nodes:
              - id: extract
                lang: python
                code: |
                  1 + 1
              - id: totals
                lang: sql
                needs: [extract]
                code: SELECT 1
            """
        )
    )
    assert [node.id for node in pipeline.nodes] == ["extract", "totals"]
    assert pipeline.node("totals").needs == ("extract",)
    assert pipeline.params == {"min_amount": 5}
    assert pipeline.schedule is not None and pipeline.schedule.timezone == "Europe/Berlin"


def test_block_code_records_the_line_it_starts_on() -> None:
    pipeline = parse_pipeline(
        HEADER + "nodes:\n  - id: a\n    lang: python\n    code: |\n      x = 1\n"
    )
    assert pipeline.node("a").code_line == 7


def test_an_unclosed_quote_names_the_line_where_it_opened() -> None:
    problem = only_problem(HEADER + 'nodes:\n  - id: a\n    lang: python\n    code: "1\n')
    assert "while scanning a quoted scalar that starts on line 6" in problem.message, problem


def test_yaml_syntax_error_names_the_line() -> None:
    problem = only_problem(HEADER + "nodes:\n  - id: a\n    code: [unclosed\n")
    assert problem.line >= 4 and "YAML syntax error" in problem.message


def test_a_document_that_is_not_a_mapping_is_refused() -> None:
    assert "YAML mapping" in only_problem("- just\n- a list\n").message


def test_wrong_format_version_is_refused() -> None:
    problem = only_problem("omnix: 2\nname: demo\nnodes:\n  - {id: a, lang: python, code: '1'}\n")
    assert problem.line == 1 and "format version" in problem.message


def test_unknown_top_level_key_is_an_error_with_a_suggestion() -> None:
    problem = only_problem(
        HEADER + "descripton: typo\nnodes:\n  - {id: a, lang: python, code: '1'}\n"
    )
    assert problem.line == 3 and "did you mean 'description'" in problem.message


def test_unknown_node_key_is_an_error_naming_the_node() -> None:
    problem = only_problem(
        HEADER + "nodes:\n  - id: a\n    lang: python\n    code: '1'\n    retry: 3\n"
    )
    assert (problem.line, problem.node) == (7, "a")
    assert "did you mean 'retries'" in problem.message


@pytest.mark.parametrize("bad_id", ["Upper", "1st", "has-dash", "has space"])
def test_bad_node_id_is_refused(bad_id: str) -> None:
    problem = only_problem(
        HEADER + f"nodes:\n  - id: '{bad_id}'\n    lang: python\n    code: '1'\n"
    )
    assert problem.line == 4 and "bad node id" in problem.message


@pytest.mark.parametrize("reserved", ["params", "class", "function", "select", "func"])
def test_reserved_words_are_refused_as_node_ids(reserved: str) -> None:
    problem = only_problem(
        HEADER + f"nodes:\n  - id: {reserved}\n    lang: python\n    code: '1'\n"
    )
    assert "reserved word" in problem.message


def test_duplicate_id_points_at_the_first_definition() -> None:
    problem = only_problem(
        HEADER
        + "nodes:\n  - {id: a, lang: python, code: '1'}\n  - {id: a, lang: python, code: '2'}\n"
    )
    assert (problem.line, problem.node) == (5, "a") and "line 4" in problem.message


def test_needs_naming_no_node_suggests_the_closest() -> None:
    problem = only_problem(
        HEADER
        + "nodes:\n  - {id: extract, lang: python, code: '1'}\n"
        + "  - {id: load, lang: python, code: '2', needs: [extrct]}\n"
    )
    assert problem.node == "load" and "'extrct'" in problem.message
    assert "did you mean 'extract'" in problem.message


def test_cycle_prints_its_path() -> None:
    problem = only_problem(
        HEADER
        + "nodes:\n  - {id: a, lang: python, code: '1', needs: [b]}\n"
        + "  - {id: b, lang: python, code: '2', needs: [a]}\n"
    )
    assert problem.message == "cycle: a -> b -> a" and problem.line == 4


def test_a_node_needing_itself_is_refused() -> None:
    problem = only_problem(HEADER + "nodes:\n  - {id: a, lang: python, code: '1', needs: [a]}\n")
    assert "cannot need itself" in problem.message


def test_unknown_language_lists_the_known_ones() -> None:
    problem = only_problem(HEADER + "nodes:\n  - {id: a, lang: cobol, code: '1'}\n")
    assert "unknown language 'cobol'" in problem.message and "python" in problem.message


def test_code_and_file_together_are_refused() -> None:
    problem = only_problem(HEADER + "nodes:\n  - {id: a, lang: python, code: '1', file: a.py}\n")
    assert "exactly one of `code:` and `file:`" in problem.message


def test_missing_code_and_file_is_refused() -> None:
    problem = only_problem(HEADER + "nodes:\n  - {id: a, lang: python}\n")
    assert "exactly one of `code:` and `file:`" in problem.message


def test_file_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    problem = only_problem(HEADER + "nodes:\n  - {id: a, lang: python, file: nope.py}\n", tmp_path)
    assert "'nope.py' does not exist" in problem.message


def test_file_is_read_relative_to_the_pipeline(tmp_path: Path) -> None:
    (tmp_path / "step.py").write_text("41 + 1\n")
    (tmp_path / "p.yaml").write_text(HEADER + "nodes:\n  - {id: a, lang: python, file: step.py}\n")
    node = load_pipeline(tmp_path / "p.yaml").node("a")
    assert (node.code, node.file) == ("41 + 1\n", "step.py")


@pytest.mark.parametrize(
    ("cron", "fragment"),
    [("0 6 * *", "expected 5 fields"), ("61 * * * *", "out of range"), ("* * * * * *", "found 6")],
)
def test_bad_cron_is_refused(cron: str, fragment: str) -> None:
    problem = only_problem(
        HEADER + f"schedule: {{cron: '{cron}'}}\nnodes:\n  - {{id: a, lang: python, code: '1'}}\n"
    )
    assert problem.line == 3 and fragment in problem.message


def test_bad_timezone_is_refused() -> None:
    problem = only_problem(
        HEADER + "schedule:\n  every: 5m\n  timezone: Mars/Olympus\n"
        "nodes:\n  - {id: a, lang: python, code: '1'}\n"
    )
    assert problem.line == 5 and "IANA" in problem.message


@pytest.mark.parametrize("every", ["5 minutes", "0s", "-1m", "m5"])
def test_bad_duration_is_refused(every: str) -> None:
    problem = only_problem(
        HEADER + f"schedule: {{every: '{every}'}}\nnodes:\n  - {{id: a, lang: python, code: '1'}}\n"
    )
    assert "every" in problem.message


def test_every_parses_compound_durations() -> None:
    pipeline = parse_pipeline(
        HEADER + "schedule: {every: 1h30m}\nnodes:\n  - {id: a, lang: python, code: '1'}\n"
    )
    assert pipeline.schedule is not None and pipeline.schedule.every_s == 5400


def test_schedule_needs_exactly_one_of_cron_and_every() -> None:
    problem = only_problem(
        HEADER
        + "schedule: {cron: '* * * * *', every: 1m}\nnodes:\n  - {id: a, lang: python, code: '1'}\n"
    )
    assert "exactly one of `cron:` and `every:`" in problem.message


def test_negative_retries_are_refused() -> None:
    problem = only_problem(HEADER + "nodes:\n  - {id: a, lang: python, code: '1', retries: -1}\n")
    assert "`retries` must be a whole number" in problem.message


def test_connection_is_only_for_sql_nodes() -> None:
    problem = only_problem(
        HEADER + "nodes:\n  - {id: a, lang: python, code: '1', connection: 'sqlite:x.db'}\n"
    )
    assert "only applies to sql" in problem.message


def test_every_problem_is_reported_in_one_pass() -> None:
    problems = problems_of(
        "omnix: 1\nname: Bad Name\nnodes:\n"
        "  - {id: a, lang: cobol, code: '1'}\n"
        "  - {id: b, lang: python, code: '2', needs: [zz]}\n"
    )
    assert [p.line for p in problems] == [2, 4, 5]


def test_problem_formats_as_file_line_node() -> None:
    assert str(Problem("p.yaml", 7, "boom", "a")) == "p.yaml:7: node 'a': boom"


def test_a_missing_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(PipelineInvalid, match="no such file"):
        load_pipeline(tmp_path / "absent.yaml")
