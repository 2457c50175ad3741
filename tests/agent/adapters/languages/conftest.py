"""R, Go and Scala nodes, each in its real runtime; the snippets that make each test's node."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from omnix.shared.runtimes import RUNTIME_NEEDS


@dataclass(frozen=True)
class Snippets:
    """Node bodies in one language, for the tests that every language passes."""

    identity: str
    """Return the upstream table `source` unchanged."""
    params_and_json: str
    """Return {"n": params n + 1, "cfg": the upstream JSON value `cfg`}."""
    logs: str
    """Write "one" and "two" on stdout and "three" on stderr, then return 1."""
    error_on_line_3: str
    """Fail at run time on the code's third line."""
    compile_error_on_line_3: str
    """Fail to parse or compile on the third line."""
    sleeps: str
    """Write the runtime's pid to the file named by params path, then sleep a minute."""
    big_table: str
    """A table of its own: big (int64 incl. 2^53+1 and int64 max), name, score, flag, with nulls."""


SNIPPETS = {
    "r": Snippets(
        identity="source",
        params_and_json="list(n = params$n + 1, cfg = cfg)",
        logs='cat("one\\n")\nprint("two")\nmessage("three")\n1',
        error_on_line_3='x <- 1\ny <- 2\nstop("boom on three")\n',
        compile_error_on_line_3="x <- 1\ny <- 2\nz <- 3 ) 4\nz",
        sleeps="writeLines(as.character(Sys.getpid()), params$path)\nSys.sleep(60)\n1",
        big_table=(
            'data.frame(big = bit64::as.integer64(c("9007199254740993", "9223372036854775807", NA)),\n'
            '           name = c("a", NA, "ü"), score = c(1.5, NA, 0.1 + 0.2),\n'
            "           flag = c(TRUE, NA, FALSE))"
        ),
    ),
    "go": Snippets(
        identity="return source, nil",
        params_and_json='return map[string]any{"n": params["n"].(int64) + 1, "cfg": cfg}, nil',
        logs='fmt.Println("one")\nfmt.Println("two")\nfmt.Fprintln(os.Stderr, "three")\nreturn 1, nil',
        error_on_line_3='x := 1\n_ = x\nreturn nil, errors.New("boom on three")',
        compile_error_on_line_3="x := 1\n_ = x\ny := undefinedThing\nreturn y, nil",
        sleeps=(
            'os.WriteFile(params["path"].(string), []byte(strconv.Itoa(os.Getpid())), 0o644)\n'
            "time.Sleep(time.Minute)\nreturn 1, nil"
        ),
        big_table=(
            "a, b := 0.1, 0.2 // variables: Go adds constants exactly, which would give 0.3\n"
            "return Table{\n"
            '\t{"big": int64(9007199254740993), "name": "a", "score": 1.5, "flag": true},\n'
            '\t{"big": int64(9223372036854775807), "name": nil, "score": nil, "flag": nil},\n'
            '\t{"big": nil, "name": "ü", "score": a + b, "flag": false},\n'
            "}, nil"
        ),
    ),
    "scala": Snippets(
        identity="source",
        params_and_json='Map("n" -> (params("n").asInstanceOf[Long] + 1), "cfg" -> cfg)',
        logs='println("one")\nprintln("two")\nSystem.err.println("three")\n1',
        error_on_line_3='val x = 1\nval y = 2\nthrow new IllegalStateException("boom on three")',
        compile_error_on_line_3='val x = 1\nval y = 2\nval z: Int = "three"\nz',
        sleeps=(
            'val pid = java.lang.management.ManagementFactory.getRuntimeMXBean.getName.split("@")(0)\n'
            'java.nio.file.Files.write(java.nio.file.Paths.get(params("path").toString), pid.getBytes)\n'
            "Thread.sleep(60000)\n1"
        ),
        big_table=(
            'Seq(ListMap("big" -> 9007199254740993L, "name" -> "a", "score" -> 1.5, "flag" -> true),\n'
            '    ListMap("big" -> 9223372036854775807L, "name" -> null, "score" -> null, "flag" -> null),\n'
            '    ListMap("big" -> null, "name" -> "ü", "score" -> (0.1 + 0.2), "flag" -> false))'
        ),
    ),
}

LANGUAGES = sorted(SNIPPETS)


@pytest.fixture(params=LANGUAGES)
def language(request: pytest.FixtureRequest, require_binary: Callable[[str, str], str]) -> str:
    """Each of R, Go and Scala, whose runtime must be installed (in CI: must, not skip)."""
    need = RUNTIME_NEEDS[request.param]
    require_binary(need.executable, need.install)
    return str(request.param)


def node_yaml(node_id: str, lang: str, code: str, *, needs: str = "", extra: str = "") -> str:
    """A node of a pipeline file, its code as a literal block."""
    body = "".join(f"              {line}\n" for line in code.splitlines())
    needs_line = f"            needs: [{needs}]\n" if needs else ""
    return (
        f"          - id: {node_id}\n            lang: {lang}\n{needs_line}{extra}"
        f"            code: |\n{body}"
    )
