import { describe, expect, it } from "vitest";

describe("runtime", () => {
  it("runs on Node >= 22.11", () => {
    const [major, minor] = process.versions.node.split(".").map(Number);
    expect(major! > 22 || (major === 22 && minor! >= 11)).toBe(true);
  });
});
