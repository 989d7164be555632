"""Runs scim-sanity's live conformance probe (PyPI, pinned in requirements.txt) against a running
scimd.

Usage: scim_sanity_run.py BASE_URL TOKEN RESULTS.jsonl

Uses the library entry point behind `scim-sanity probe --strict` (`run_probe_api`), which returns
every result with a status and a message: discovery, the User and Group lifecycles (POST, GET,
PUT, PATCH, DELETE, members), search and paging, error handling. The Agent and
AgenticApplication phases (draft-abbey-scim-agent-extension) are skipped by the tool itself
because scimd does not advertise those resource types.

Status mapping: pass passes; warn (a SHOULD not followed in strict mode), fail and error fail;
skip is skipped.
"""

import sys

from scim_sanity.probe.runner import run_probe_api

from results import write_results

OUTCOMES = {"pass": "pass", "skip": "skip"}


def main():
    base_url, token, results_file = sys.argv[1:4]
    report = run_probe_api(base_url, token=token, strict=True, timeout=30)
    outcomes = []
    for r in report["results"]:
        check_id = f"{r.get('phase', '')} / {r['name']}".strip(" /")
        detail = r.get("message", "")
        if r.get("details"):
            detail = f"{detail} {r['details']}".strip()
        outcome = OUTCOMES.get(r["status"], "fail")
        print(f"[{r['status'].upper()}] {check_id}: {detail}")
        outcomes.append((check_id, outcome, detail))
    write_results(results_file, outcomes)


if __name__ == "__main__":
    main()
