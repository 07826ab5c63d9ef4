/**
 * Directive reading and validation: the conformance cases V1–V19 (with wactor's intent
 * choices for Atmo's quirks Q4, Q5 and Q8), located problems, and the decoder's rules.
 */
import { describe, expect, it } from "vitest";
import { DirectiveError } from "../src/directive/problems.js";
import { loadDirective } from "../src/directive/load.js";
import { parseDirective } from "../src/directive/parse.js";
import { isGoSemver, parseReference, resolveReference } from "../src/directive/references.js";
import { isWactorError } from "../src/errors.js";

const BASE_A = `identifier: dev.suborbital.appname
appVersion: v0.1.1
atmoVersion: v0.0.6
runnables:
  - name: getUser
    namespace: db
  - name: getUserDetails
    namespace: db
  - name: returnUser
    namespace: api
`;

/** The problems' messages (without file:line), or [] when the Directive loads. */
function problems(yaml: string): string[] {
  try {
    loadDirective(yaml, "Directive.yaml");
    return [];
  } catch (err) {
    if (!(err instanceof DirectiveError)) throw err;
    return err.problems.map((p) => p.message);
  }
}

const handler = (steps: string, extra = ""): string => `handlers:
  - type: request
    resource: /api/v1/user
    method: GET
${extra}    steps:
${steps}`;

describe("Directive validation (V1–V19)", () => {
  it("V1: a group then an fn step is valid; 2 steps and 3 runnables are kept", () => {
    const yaml =
      BASE_A +
      handler(`      - group:
          - fn: db::getUser
          - fn: db::getUserDetails
      - fn: api::returnUser
`);
    const d = loadDirective(yaml);
    expect(d.handlers[0]!.steps).toHaveLength(2);
    expect(d.handlers[0]!.steps[0]!.group!.map((c) => c.fn)).toEqual(["db::getUser", "db::getUserDetails"]);
    expect(d.runnables.map((r) => r.fqfn)).toEqual([
      "dev.suborbital.appname#db::getUser@v0.1.1",
      "dev.suborbital.appname#db::getUserDetails@v0.1.1",
      "dev.suborbital.appname#api::returnUser@v0.1.1",
    ]);
  });

  it("V2: a group as last step without 'response' is one problem", () => {
    const p = problems(
      BASE_A +
        handler(`      - fn: api::returnUser
      - group:
          - fn: db::getUser
          - fn: db::getUserDetails
`),
    );
    expect(p).toEqual([expect.stringContaining("has group as last step but does not include 'response' field")]);
  });

  it("V3: onErr.any next to codes says use 'other'; onErr.other without codes says use 'any'", () => {
    const p = problems(
      BASE_A +
        handler(`      - fn: api::returnUser
        onErr:
          code:
            400: continue
          any: return
      - fn: api::returnUser
        onErr:
          other: continue
`),
    );
    expect(p).toHaveLength(2);
    expect(p[0]).toMatch(/step 0 .*use 'other' instead/);
    expect(p[1]).toMatch(/step 1 .*use 'any' instead/);
  });

  it("V4/V5: every missing function, the unavailable 'with' key and the group-last problem are reported at once", () => {
    const v4 = problems(
      BASE_A +
        handler(`      - group:
          - fn: getUser
          - fn: getFoobar
`),
    );
    expect(v4).toEqual([
      expect.stringContaining("does not exist: getUser (did you forget a namespace?)"),
      expect.stringContaining("does not exist: getFoobar"),
      expect.stringContaining("has group as last step"),
    ]);
    const v5 = problems(
      BASE_A +
        handler(`      - group:
          - fn: getUser
            with:
              data: someData
          - fn: getFoobar
`),
    );
    expect(v5).toHaveLength(4);
    expect(v5).toContainEqual(expect.stringContaining("referencing a key that is not yet available in the state: someData"));
  });

  it("V6/V18: references resolve to FQFNs by identifier, namespace and version", () => {
    const d = parseDirective(BASE_A.replace("name: getUser\n    namespace: db", "name: getUser\n    namespace: default"), "D.yaml");
    expect(resolveReference(d, "getUser")?.fqfn).toBe("dev.suborbital.appname#default::getUser@v0.1.1");
    expect(resolveReference(d, "db::getUserDetails")?.fqfn).toBe("dev.suborbital.appname#db::getUserDetails@v0.1.1");
    expect(resolveReference(d, "dev.suborbital.appname#api::returnUser@v0.1.1")?.name).toBe("returnUser");
    expect(resolveReference(d, "foo::bar")).toBeUndefined();
    expect(resolveReference(d, "other.app#default::getUser")).toBeUndefined();
    expect(resolveReference(d, "getUser@v9.9.9")).toBeUndefined();
    expect(resolveReference(d, "getUser@v0.1.1")?.name).toBe("getUser");
    expect(parseReference("a#b::c@d")).toEqual({ identifier: "a", namespace: "b", name: "c", version: "d" });
  });

  it("V7: the example project (group with as and onErr, with, response, schedule) is valid", () => {
    const yaml = `identifier: com.suborbital.test
appVersion: v0.0.1
atmoVersion: v0.0.6
runnables:
  - { name: fetch, namespace: default }
  - { name: log, namespace: default }
  - { name: hello-echo, namespace: default }
handlers:
  - type: request
    resource: /hello
    method: POST
    steps:
      - group:
          - fn: fetch
            as: ghData
          - fn: log
            onErr:
              code:
                404: continue
              other: return
      - fn: hello-echo
        with:
          data: ghData
        onErr:
          any: return
    response: ghData
schedules:
  - name: user-purger
    every:
      minutes: 5
    steps:
      - fn: hello-echo
`;
    expect(problems(yaml)).toEqual([]);
    expect(loadDirective(yaml).schedules[0]!.every.minutes).toBe(5);
  });

  it("V8: Go semver: a leading v, shorthand, suffixes only on full versions, no leading zeros", () => {
    expect(["0.1.1", "v1", "v1.2.3-rc.1+b5", "v01.2.3", "v1.2-pre", "v1.2.3-01"].map(isGoSemver)).toEqual([false, true, true, false, false, false]);
    expect(problems(BASE_A.replace("appVersion: v0.1.1", "appVersion: 0.1.1"))).toEqual([
      expect.stringContaining("app version is not a valid semantic version"),
    ]);
  });

  it("V9: no runnables is a problem, and every reference is one too", () => {
    const p = problems(`identifier: a.b\nappVersion: v1\natmoVersion: v1\nrunnables: []\n${handler("      - fn: x\n")}`);
    expect(p).toEqual(["no functions listed", expect.stringContaining("does not exist: x")]);
  });

  it("V10 (intent Q5): the duplicate check is on namespaced names, in either order", () => {
    const head = "identifier: a.b\nappVersion: v1\natmoVersion: v1\nrunnables:\n";
    expect(problems(`${head}  - { name: a, namespace: default }\n  - { name: a, namespace: x }\n`)).toEqual([]);
    expect(problems(`${head}  - { name: a, namespace: x }\n  - { name: a, namespace: default }\n`)).toEqual([]);
    expect(problems(`${head}  - { name: a, namespace: x }\n  - { name: a, namespace: x }\n`)).toEqual(["duplicate fn x::a found"]);
  });

  const X = "identifier: a.b\nappVersion: v0.1.1\natmoVersion: v1\nrunnables:\n  - { name: a }\n  - { name: b }\n  - { name: c }\n";

  it("V11: group siblings cannot see each other's keys", () => {
    const p = problems(
      X +
        handler(`      - group:
          - { fn: a, as: k }
          - { fn: b, with: { v: k } }
      - fn: c
`),
    );
    expect(p).toEqual([expect.stringContaining("not yet available in the state: k")]);
  });

  it("V12: 'response' must name a key an earlier step sets", () => {
    expect(problems(X + handler("      - { fn: a, as: k }\n", "    response: nope\n"))).toEqual([
      expect.stringContaining("lists response state key that does not exist: nope"),
    ]);
    expect(problems(X + handler("      - { fn: a, as: k }\n", "    response: k\n"))).toEqual([]);
  });

  it("V13 (intent Q8): invalid error directives name the field that is wrong", () => {
    expect(problems(X + handler("      - { fn: a, onErr: { any: ignore } }\n"))).toEqual([
      expect.stringContaining("invalid error directive 'onErr.any: ignore'"),
    ]);
    expect(problems(X + handler("      - { fn: a, onErr: { code: { 500: skip } } }\n"))).toEqual([
      expect.stringContaining("invalid error directive for code 500"),
    ]);
    expect(problems(X + handler("      - { fn: a, onErr: { code: { 500: continue }, other: skip } }\n"))).toEqual([
      expect.stringContaining("invalid error directive 'onErr.other: skip'"),
    ]);
  });

  it("V14: forEach needs 'in' and 'as'; 'in' is not checked against the state", () => {
    expect(problems(X + handler("      - forEach: { fn: a }\n"))).toEqual([
      expect.stringContaining("missing 'in' value"),
      expect.stringContaining("missing 'as' value"),
    ]);
    expect(problems(X + handler("      - forEach: { in: missing, fn: a, as: o }\n"))).toEqual([]);
  });

  it("V15: a schedule needs 'every'; its seed state keys are available to 'with'", () => {
    const p = problems(`${X}schedules:\n  - name: s\n    steps:\n      - fn: a\n`);
    expect(p).toEqual(["schedule s has no 'every' values"]);
    expect(
      problems(`${X}schedules:\n  - name: s\n    every: { seconds: 5 }\n    state: { repo: x }\n    steps:\n      - { fn: a, with: { r: repo } }\n`),
    ).toEqual([]);
  });

  it("V16: a step with both fn and group, or an empty group, has no valid shape", () => {
    expect(problems(X + handler("      - { fn: a, group: [ { fn: b } ] }\n", "    response: a\n"))).toContainEqual(
      expect.stringContaining("step at position 0 isn't an Fn, Group, or ForEach"),
    );
    expect(problems(X + handler("      - { group: [] }\n"))).toEqual([expect.stringContaining("isn't an Fn, Group, or ForEach")]);
  });

  it("V17: a request handler needs a method; another type does not (and is never mounted)", () => {
    expect(problems(`${X}handlers:\n  - { type: request, resource: /x, steps: [ { fn: a } ] }\n`)).toEqual([
      expect.stringContaining("does not specify a method"),
    ]);
    expect(problems(`${X}handlers:\n  - { type: stream, resource: /x, steps: [ { fn: a } ] }\n`)).toEqual([]);
  });

  it("V18: identifier and version in a reference must be the Directive's", () => {
    expect(problems(X + handler("      - fn: other.app#default::a\n"))).toEqual([expect.stringContaining("does not exist: other.app#default::a")]);
    expect(problems(X + handler("      - fn: a@v9.9.9\n"))).toEqual([expect.stringContaining("does not exist: a@v9.9.9")]);
    expect(problems(X + handler("      - fn: a@v0.1.1\n"))).toEqual([]);
  });

  it("V19 (intent Q4): a runnable without namespace is in 'default' and bare references reach it", () => {
    const d = loadDirective(X + handler("      - fn: a\n"));
    expect(d.runnables[0]).toMatchObject({ namespace: "default", fqfn: "a.b#default::a@v0.1.1" });
  });
});

describe("Directive reading", () => {
  it("every problem carries file:line and the catalog code", () => {
    const yaml = `identifier: a.b
appVersion: v1
atmoVersion: v1
runnables:
  - { name: a }
handlers:
  - type: request
    resource: /x
    method: GET
    steps:
      - fn: nope
      - fn: a
        onErr: { any: maybe }
`;
    let error: unknown;
    try {
      loadDirective(yaml, "app/Directive.yaml");
    } catch (err) {
      error = err;
    }
    expect(isWactorError(error, "WACTOR_ERR_DIRECTIVE")).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain("found 2 problems:");
    expect(message).toContain("\tapp/Directive.yaml:11: handler for GET /x lists fn at step 0 that does not exist: nope");
    expect(message).toContain("\tapp/Directive.yaml:13: handler for GET /x step 1 (a): invalid error directive");
  });

  it("wrong types fail the document, all of them at once and located; the pre-0.2 list 'with' is one", () => {
    const yaml = `identifier: a.b
appVersion: v1
atmoVersion: v1
headless: maybe
runnables:
  - { name: a }
handlers:
  - type: request
    resource: /x
    method: GET
    steps:
      - fn: a
        with:
          - "alias: key"
        onErr: { code: { abc: return } }
`;
    expect(() => parseDirective(yaml, "D.yaml")).toThrow(DirectiveError);
    try {
      parseDirective(yaml, "D.yaml");
    } catch (err) {
      const located = (err as DirectiveError).problems.map((p) => `${p.line}: ${p.message}`);
      expect(located).toEqual([
        "4: headless: expected true or false, found the scalar 'maybe'",
        "14: handlers[0].steps[0].with: expected a map, found a list",
        "15: handlers[0].steps[0].onErr.code key 'abc': expected an integer, found the scalar 'abc'",
      ]);
    }
  });

  it("unknown keys are ignored, scalars keep their literal text, YAML 1.1 booleans apply", () => {
    const d = loadDirective(`identifier: a.b
appVersion: v1.10
atmoVersion: v1
headless: yes
connections: { nats: { serverAddress: x } }
authentication: { domains: {} }
runnables:
  - { name: 5, namespace: default, version: 1.10 }
handlers:
  - type: request
    resource: hello
    method: GET
    steps: [ { fn: 5 } ]
`);
    expect(d.headless).toBe(true);
    expect(d.runnables[0]).toMatchObject({ name: "5", version: "1.10", fqfn: "a.b#default::5@v1.10" });
    expect(d.handlers[0]!.steps[0]!.fn).toBe("5");
  });

  it("names that no reference could reach are refused (wactor addition)", () => {
    expect(problems("identifier: a.b\nappVersion: v1\natmoVersion: v1\nrunnables:\n  - { name: 'x@y' }\n")).toEqual([
      expect.stringContaining("must not contain '#', '::' or '@'"),
    ]);
  });

  it("a YAML syntax error is located", () => {
    expect(() => parseDirective("identifier: [\n", "D.yaml")).toThrow(/D\.yaml:\d+: YAML syntax/);
  });
});
