"""Runs scim2-tester (PyPI, pinned in requirements.txt) against a running scimd.

Usage: scim2_tester_run.py BASE_URL TOKEN RESULTS.jsonl

Uses the library API (`check_server`), which returns one CheckResult per check with a status
and a reason. Every result is printed (status, resource type, title, reason) for the log, and
written to RESULTS.jsonl, which `summarize.py` compares with expected-failures.txt.

Status mapping (scim2_tester.Status): SUCCESS, COMPLIANT and ACCEPTABLE pass; DEVIATION (a
SHOULD not followed), ERROR and CRITICAL fail; SKIPPED is skipped.
"""

import sys

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from results import write_results

PASSING = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}


def check_id(result):
    """A stable name for a check: resource type (if any), title, and the attribute a PATCH check
    is about (results.py numbers the checks that are still alike)."""
    name = f"{result.resource_type}/{result.title}" if result.resource_type else result.title
    urn = result.data.get("urn") if isinstance(result.data, dict) else None
    return f"{name} {urn}" if urn else name


def main():
    base_url, token, results_file = sys.argv[1:4]
    http = httpx2.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    results = check_server(SyncSCIMClient(http))

    outcomes = []  # (check id, "pass" | "fail" | "skip", detail)
    for r in results:
        outcome = (
            "skip" if r.status == Status.SKIPPED else "pass" if r.status in PASSING else "fail"
        )
        outcomes.append((check_id(r), outcome, f"{r.status.name}: {r.reason or ''}"))
        print(f"[{r.status.name}] {check_id(r)}")
        if r.reason:
            print(f"    reason: {r.reason}")
        if outcome == "fail" and r.data is not None:
            print(f"    data: {r.data!r}"[:2000])

    write_results(results_file, outcomes)


if __name__ == "__main__":
    main()
