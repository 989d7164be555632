"""Self-test of summarize.py, run by `conformance/run` before the runners: the comparison that
decides whether a conformance run passes must itself refuse a runner that ran fewer checks than
its known total, skipped more than allowed, or failed a check nobody listed.

Usage: python3 test_summarize.py   (exits non-zero on a failure)
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


class Summarize(unittest.TestCase):
    def run_summary(self, outcomes, totals="demo | 3 | 1 | one check needs a feature scimd lacks"):
        """summarize.py on results `outcomes` [(id, outcome)]; returns (exit code, output)."""
        with tempfile.TemporaryDirectory() as tmp:
            results = os.path.join(tmp, "results.jsonl")
            with open(results, "w", encoding="utf-8") as f:
                for check_id, outcome in outcomes:
                    f.write(json.dumps({"id": check_id, "outcome": outcome, "detail": ""}) + "\n")
            failures = os.path.join(tmp, "expected-failures.txt")
            with open(failures, "w", encoding="utf-8") as f:
                f.write("demo | b | RFC 7644 §3.12 | listed on purpose\n")
            totals_file = os.path.join(tmp, "expected-totals.txt")
            with open(totals_file, "w", encoding="utf-8") as f:
                f.write(totals + "\n")
            done = subprocess.run(
                [sys.executable, os.path.join(HERE, "summarize.py"), "demo", results, failures, totals_file],
                capture_output=True,
                text=True,
            )
            return done.returncode, done.stdout

    def test_a_complete_run_passes_and_prints_the_known_total(self):
        code, out = self.run_summary([("a", "pass"), ("b", "fail"), ("c", "skip")])
        self.assertEqual(code, 0, out)
        self.assertIn("demo: 1 passed, 1 failed, 1 skipped (3 checks of 3 known)", out)

    def test_a_runner_that_ran_fewer_checks_than_its_total_fails(self):
        code, out = self.run_summary([("b", "fail"), ("c", "pass")])
        self.assertEqual(code, 1, out)
        self.assertIn("2 checks of 3 known", out)

    def test_more_checks_than_the_known_total_fail_until_the_total_is_updated(self):
        code, out = self.run_summary([("a", "pass"), ("b", "fail"), ("c", "pass"), ("d", "pass")])
        self.assertEqual(code, 1, out)

    def test_skipping_more_than_allowed_fails(self):
        code, out = self.run_summary([("a", "skip"), ("b", "fail"), ("c", "skip")])
        self.assertEqual(code, 1, out)
        self.assertIn("2 checks skipped, at most 1", out)

    def test_an_unlisted_failure_and_a_listed_pass_fail(self):
        self.assertEqual(self.run_summary([("a", "fail"), ("b", "fail"), ("c", "pass")])[0], 1)
        self.assertEqual(self.run_summary([("a", "pass"), ("b", "pass"), ("c", "pass")])[0], 1)

    def test_a_runner_without_a_known_total_fails(self):
        code, _ = self.run_summary([("a", "pass"), ("b", "fail"), ("c", "pass")], totals="other | 3 | 0 | -")
        self.assertEqual(code, 1)


if __name__ == "__main__":
    unittest.main()
