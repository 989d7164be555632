"""Writes ms-scim-reference.postman_collection.json, Microsoft's "SCIM Tests" collection adapted
for scimd, from the verbatim copy in suites/ (origin: AzureAD/SCIMReferenceCode,
PostmanCollection.json, commit d445ef9, via ../shared/conformance-suites/).

Only what is specific to Microsoft's own reference server is changed:
  1. the "Get Token" folder is removed: it asks that server's non-standard /Token endpoint for a
     token; conformance/run creates one with `scimd token create` and passes it as {{token}};
  2. the request to the non-standard `/serviceConfiguration` path goes to RFC 7644 §4's
     `/ServiceProviderConfig`.
The URL variables ({{Protocol}}, {{Server}}, {{Port}}, {{Api}}) are left in place and given
values on newman's command line. Run `python3 adapt_ms_collection.py` after updating the copy.
"""

import json
from pathlib import Path

HERE = Path(__file__).parent
SOURCE = HERE / "suites" / "ms-scim-reference.postman_collection.json"
TARGET = HERE / "ms-scim-reference.postman_collection.json"


def adapt(collection):
    collection["item"] = [f for f in collection["item"] if f["name"] != "Get Token"]
    changed = 0
    for folder in collection["item"]:
        for item in folder.get("item", [folder]):
            url = item["request"]["url"]
            if "/serviceConfiguration" in url["raw"]:
                url["raw"] = url["raw"].replace("/serviceConfiguration", "/ServiceProviderConfig")
                url["path"] = ["ServiceProviderConfig" if p == "serviceConfiguration" else p
                               for p in url["path"]]
                changed += 1
    assert changed == 1, f"expected one /serviceConfiguration request, found {changed}"
    collection["info"]["description"] += (
        " — adapted for scimd by conformance/adapt_ms_collection.py (no Get Token step; "
        "/ServiceProviderConfig in place of /serviceConfiguration)"
    )
    return collection


if __name__ == "__main__":
    collection = adapt(json.loads(SOURCE.read_text(encoding="utf-8")))
    TARGET.write_text(json.dumps(collection, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {TARGET.name}")
