import { describe, expect, it } from "vitest";
import { assertMayBind, mayBind } from "../src/claims/may-bind.js";

describe("the one rule for binding and linking", () => {
  const actor = { key: "MABC", name: "echo", caps: ["wascc:http_server"] };

  it("allows a claimed capability and nothing else", () => {
    expect(mayBind(actor, "wascc:http_server")).toBe(true);
    expect(mayBind(actor, "wascc:keyvalue")).toBe(false);
    expect(mayBind({ ...actor, caps: [] }, "wascc:http_server")).toBe(false);
  });

  it("refuses with WACTOR_ERR_PERMISSION_DENIED naming the actor, the capability and the fix", () => {
    expect(() => assertMayBind(actor, "wascc:keyvalue")).toThrow(
      expect.objectContaining({
        code: "WACTOR_ERR_PERMISSION_DENIED",
        detail: expect.stringMatching(/echo \(MABC\) did not claim wascc:keyvalue.*--cap wascc:keyvalue/),
      }),
    );
    expect(() => assertMayBind(actor, "wascc:http_server")).not.toThrow();
  });
});
