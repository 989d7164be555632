"""The results file every runner writes: one JSON object a line, {"id", "outcome", "detail"},
outcome being "pass", "fail" or "skip". A check id seen twice gets " #2", " #3", … appended,
so that ids stay unique when a suite repeats a step under the same name."""

import json
from collections import Counter


def write_results(path, outcomes):
    seen = Counter()
    with open(path, "w", encoding="utf-8") as f:
        for check_id, outcome, detail in outcomes:
            seen[check_id] += 1
            if seen[check_id] > 1:
                check_id = f"{check_id} #{seen[check_id]}"
            f.write(json.dumps({"id": check_id, "outcome": outcome, "detail": detail}) + "\n")
