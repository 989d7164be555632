"""Turns newman's JSON report into the results file (see results.py): one check per `pm.test`
assertion, named "Folder / Request: test name", and one failed check per test script that threw
outside any `pm.test` (newman counts those as script errors, not as assertions).

Usage: newman_results.py NEWMAN_REPORT.json RESULTS.jsonl
"""

import json
import sys

from results import write_results


def folders_by_item(items, folder=None, out=None):
    out = {} if out is None else out
    for item in items:
        if "item" in item:
            folders_by_item(item["item"], item["name"], out)
        else:
            out[item["id"]] = folder
    return out


def main():
    report_file, results_file = sys.argv[1:3]
    report = json.load(open(report_file, encoding="utf-8"))
    folder_of = folders_by_item(report["collection"]["item"])
    outcomes = []
    for execution in report["run"]["executions"]:
        item = execution["item"]
        name = " / ".join(p for p in (folder_of.get(item["id"]), item["name"]) if p)
        for a in execution.get("assertions", []):
            error = a.get("error")
            outcome = "skip" if a.get("skipped") else "fail" if error else "pass"
            outcomes.append((f"{name}: {a['assertion']}", outcome, error["message"] if error else ""))
    for failure in report["run"]["failures"]:
        if failure["error"]["name"] != "AssertionError":  # a script that threw
            source = failure.get("source", {}).get("name", "?")
            outcomes.append((f"{source}: {failure['at']}", "fail", failure["error"]["message"]))
    write_results(results_file, outcomes)


if __name__ == "__main__":
    main()
