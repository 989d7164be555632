#!/usr/bin/env node
// Runs Okta's "SCIM 2.0 SPEC Test" (a Runscope export: suites/okta-scim20-spec-test.runscope.json,
// or the later export suites/okta-scim20-spec-test-latest.runscope.json) against a running scimd, the way Runscope would: each request step is sent with its headers
// and body after {{variable}} substitution, variables are extracted from responses, and every
// assertion and every script of a step is one check.
//
// Usage: okta_runscope_run.js SUITE.runscope.json BASE_URL TOKEN RESULTS.jsonl
//
// What is adapted (see conformance/README.md):
// - Runscope's environment is not in the export: the initial variables (SCIMBaseURL, auth) and
//   the ones Okta's "Initial Script" generates (random names, InvalidUserEmail,
//   UserIdThatDoesNotExist) are set here, with the forms Okta's guide documents.
// - The test expects the server to hold at least one user and one group: both are created first.
// - "pause" steps (5 s each, there to spare rate-limited servers) are not waited for.
// - One assertion, `Resources[0].emails.value has_value <empty>`, is ill-formed (emails is an
//   array): a name applied to an array is read from every element, and `has_value` with no
//   value passes when some element has one, which is what Okta's later export checks with
//   `Resources[0].emails[0].value not_empty`.

"use strict";
const fs = require("node:fs");
const assert = require("node:assert");

function substitute(text, vars) {
  return text.replace(/{{(\w+)}}/g, (whole, name) => (name in vars ? vars[name] : whole));
}

// Runscope property paths: `a.b[0].c`; a name applied to an array is read from each element.
function lookup(value, property) {
  let current = value;
  for (const part of property.split(".")) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) return undefined;
    const get = (v) => (v === null || v === undefined ? undefined : v[m[1]]);
    if (m[1] !== "") current = Array.isArray(current) ? current.map(get) : get(current);
    for (const index of m[2].match(/\d+/g) || []) {
      current = current === null || current === undefined ? undefined : current[Number(index)];
    }
  }
  return current;
}

function isEmpty(v) {
  if (v === undefined || v === null || v === "") return true;
  if (Array.isArray(v)) return v.length === 0 || v.every(isEmpty);
  if (typeof v === "object") return Object.keys(v).length === 0;
  return false;
}

// Runscope compares values as strings, except for the *_number and is_less_than comparisons.
const COMPARISONS = {
  equal_number: (actual, expected) => Number(actual) === Number(expected),
  equal: (actual, expected) => actual !== undefined && String(actual) === expected,
  not_empty: (actual) => !isEmpty(actual),
  is_a_number: (actual) => typeof actual === "number",
  is_less_than: (actual, expected) => Number(actual) < Number(expected),
  has_value: (actual, expected) =>
    Array.isArray(actual) &&
    (expected === null ? actual.some((v) => !isEmpty(v)) : actual.some((v) => String(v) === expected)),
  contains: (actual, expected) =>
    Array.isArray(actual) ? actual.some((v) => String(v) === expected)
      : typeof actual === "string" && actual.includes(expected),
};

async function api(base, token, method, url, body) {
  const res = await fetch(base + url, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/scim+json" },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`setup ${method} ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

// The user and group Okta's test expects to find (steps "Test Users endpoint", "Verify Groups endpoint").
async function seed(base, token) {
  const user = await api(base, token, "POST", "/Users", {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    userName: "existing.user@example.com",
    name: { givenName: "Existing", familyName: "User" },
    emails: [{ value: "existing.user@example.com", type: "work", primary: true }],
    active: true,
  });
  await api(base, token, "POST", "/Groups", {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
    displayName: "Existing Group",
    members: [{ value: user.id }],
  });
}

function initialVariables(base, token) {
  // The forms of Okta's guide ("Test your SCIM API": Runscope initial variables and script).
  const n = () => Math.floor(Math.random() * 1000);
  const given = `Runscope${n()}`;
  const family = `Tester${n()}`;
  const username = `${given}${family}@example.com`;
  return {
    SCIMBaseURL: base,
    auth: `Bearer ${token}`,
    InvalidUserEmail: "abcdefgh@example.com",
    UserIdThatDoesNotExist: "010101001010101011001010101011",
    randomGivenName: given,
    randomFamilyName: family,
    randomUsername: username,
    randomUsernameCaps: username.toUpperCase(),
    randomEmail: username,
  };
}

async function runStep(step, number, vars, record) {
  const label = `step ${number} ${step.method} ${step.url} (${(step.note || "").trim()})`;
  if ((step.before_scripts || []).length) throw new Error(`${label}: before_scripts are not supported`);
  const headers = {};
  for (const [name, value] of Object.entries(step.headers || {})) {
    headers[name] = substitute([].concat(value).join(", "), vars);
  }
  const url = new URL(substitute(step.url, vars)).href; // percent-encodes spaces and quotes
  // A Buffer body, so that fetch adds no Content-Type of its own where the step sends none.
  const body = step.body ? Buffer.from(substitute(step.body, vars)) : undefined;
  const started = performance.now();
  const res = await fetch(url, { method: step.method, headers, body });
  const text = await res.text();
  const elapsed = Math.round(performance.now() - started);
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  console.log(`\n== ${label}\n   ${step.method} ${url} -> ${res.status} in ${elapsed} ms\n   ${text.slice(0, 600)}`);

  for (const v of step.variables || []) {
    if (v.source === "response_json") vars[v.name] = String(lookup(json, v.property));
    else throw new Error(`${label}: variable source ${v.source} is not supported`);
  }
  for (const a of step.assertions || []) {
    const id = `${label}: ${a.source}${a.property ? " " + a.property : ""} ${a.comparison}` +
      (a.value === null ? "" : ` ${a.value}`);
    const expected = a.value === null ? null : substitute(String(a.value), vars);
    const actual = { response_status: res.status, response_time: elapsed }[a.source] ??
      (a.source === "response_json" ? lookup(json, a.property) : undefined);
    const compare = COMPARISONS[a.comparison];
    if (!compare) throw new Error(`${id}: comparison not supported`);
    const ok = compare(actual, expected);
    record(id, ok, `actual ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  }
  (step.scripts || []).forEach((script, i) => {
    const id = `${label}: script ${i + 1}`;
    const response = { status: res.status, body: text, headers: Object.fromEntries(res.headers), response_time: elapsed };
    try {
      new Function("response", "assert", "variables", "log", script)(response, assert, vars, (m) => console.log(`   log: ${m}`));
      record(id, true, "script passed");
    } catch (e) {
      record(id, false, `script failed: ${e.message}`);
    }
  });
}

async function main() {
  const [suiteFile, base, token, resultsFile] = process.argv.slice(2);
  const suite = JSON.parse(fs.readFileSync(suiteFile, "utf8"));
  await seed(base, token);
  const vars = initialVariables(base, token);
  const results = [];
  const record = (id, ok, detail) => {
    results.push({ id, outcome: ok ? "pass" : "fail", detail });
    console.log(`   [${ok ? "PASS" : "FAIL"}] ${id}${ok ? "" : " — " + detail}`);
  };
  for (const [i, step] of suite.steps.entries()) {
    if (step.step_type === "pause") continue;
    if (step.step_type !== "request") throw new Error(`step ${i}: ${step.step_type} is not supported`);
    await runStep(step, i, vars, record);
  }
  fs.writeFileSync(resultsFile, results.map((r) => JSON.stringify(r) + "\n").join(""));
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
