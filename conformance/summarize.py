"""Compares one runner's results file (see results.py) with expected-failures.txt and
expected-totals.txt, prints every failing check with its reason, then the summary line
`RUNNER: N passed, M failed, K skipped (T checks of T known)` (M counts expected failures too).

Exits 1 when a check fails that is not listed as expected, when a listed check passes or is not
run at all (the list must be kept exact), when the runner reported another number of checks than
its known total (a runner that stopped half-way, or lost checks in an upgrade, must not pass
quietly), or when it skipped more checks than its known total allows.

Usage: summarize.py RUNNER RESULTS.jsonl EXPECTED_FAILURES.txt EXPECTED_TOTALS.txt
"""

import json
import sys


def lines(path):
    """The ` | `-separated fields of each non-comment line of `path`."""
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line and not line.startswith("#"):
            yield line, [f.strip() for f in line.split(" | ")]


def load_expected(path, runner):
    """expected-failures.txt: `runner | check id | RFC section | reason` a line; # comments."""
    expected = {}
    for line, fields in lines(path):
        if len(fields) != 4 or not all(fields):
            sys.exit(f"{path}: malformed line (want 4 fields separated by ' | '): {line}")
        if fields[0] == runner:
            expected[fields[1]] = fields[2]
    return expected


def load_total(path, runner):
    """expected-totals.txt: `runner | checks | skipped at most | why they skip` a line."""
    for line, fields in lines(path):
        if len(fields) != 4 or not all(fields) or not (fields[1] + fields[2]).isdigit():
            sys.exit(f"{path}: malformed line (want runner | checks | skipped | why): {line}")
        if fields[0] == runner:
            return int(fields[1]), int(fields[2])
    sys.exit(f"{path}: no known total for runner {runner}")


def main():
    runner, results_file, expected_file, totals_file = sys.argv[1:5]
    expected = load_expected(expected_file, runner)
    total, max_skipped = load_total(totals_file, runner)
    try:
        results = [json.loads(line) for line in open(results_file, encoding="utf-8")]
    except FileNotFoundError:
        results = []
    counts = {"pass": 0, "fail": 0, "skip": 0}
    problems = []
    seen = set()
    for r in results:
        counts[r["outcome"]] += 1
        seen.add(r["id"])
        if r["outcome"] == "fail":
            tag = f"expected ({expected[r['id']]})" if r["id"] in expected else "UNEXPECTED"
            print(f"  FAIL [{tag}] {r['id']}\n       {r['detail']}")
            if r["id"] not in expected:
                problems.append("unexpected")
        elif r["id"] in expected:
            problems.append(f"expected failure now {r['outcome']}es: {r['id']} (update expected-failures.txt)")
    problems += [f"expected failure not run: {i}" for i in expected if i not in seen]
    if not results:
        problems.append("the runner produced no results")
    if len(results) != total:
        problems.append(
            f"the runner reported {len(results)} checks, its known total is {total} "
            "(a runner that stopped early; or update expected-totals.txt after checking why)"
        )
    if counts["skip"] > max_skipped:
        problems.append(f"{counts['skip']} checks skipped, at most {max_skipped} expected (expected-totals.txt)")
    unexpected = problems.count("unexpected")
    problems = [p for p in problems if p != "unexpected"]
    if unexpected:
        problems.append(f"{unexpected} unexpected failure(s), marked UNEXPECTED above")
    for p in problems:
        print(f"  !! {p}")
    print(
        f"{runner}: {counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped "
        f"({len(results)} checks of {total} known)"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
