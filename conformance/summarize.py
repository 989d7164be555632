"""Compares one runner's results file (see results.py) with expected-failures.txt, prints every
failing check with its reason, then the summary line `RUNNER: N passed, M failed, K skipped`
(M counts expected failures too). Exits 1 when a check fails that is not listed as expected, when
a listed check passes or is not run at all (the list must be kept exact), or when the runner
produced no result.

Usage: summarize.py RUNNER RESULTS.jsonl EXPECTED_FAILURES.txt
"""

import json
import sys


def load_expected(path, runner):
    """expected-failures.txt: `runner | check id | RFC section | reason` a line; # comments."""
    expected = {}
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split(" | ")]
        if len(fields) != 4 or not all(fields):
            sys.exit(f"{path}: malformed line (want 4 fields separated by ' | '): {line}")
        if fields[0] == runner:
            expected[fields[1]] = fields[2]
    return expected


def main():
    runner, results_file, expected_file = sys.argv[1:4]
    expected = load_expected(expected_file, runner)
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
    unexpected = problems.count("unexpected")
    problems = [p for p in problems if p != "unexpected"]
    if unexpected:
        problems.append(f"{unexpected} unexpected failure(s), marked UNEXPECTED above")
    for p in problems:
        print(f"  !! {p}")
    print(f"{runner}: {counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
