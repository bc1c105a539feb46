import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { errorCodes } from "./error-codes.js";

const troubleshooting = readFileSync(new URL("../../../docs/troubleshooting.md", import.meta.url), "utf8");

describe("errorCodes", () => {
  it("is sorted and has no duplicates", () => {
    expect([...new Set(errorCodes)].sort()).toEqual([...errorCodes]);
  });

  it("are kebab-case", () => {
    for (const code of errorCodes) expect(code).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it("each have a section in docs/troubleshooting.md", () => {
    const anchors = new Set([
      ...[...troubleshooting.matchAll(/^### ([a-z0-9-]+)$/gm)].map((match) => match[1]),
      ...[...troubleshooting.matchAll(/<a id="([a-z0-9-]+)"><\/a>/g)].map((match) => match[1]),
    ]);
    expect(errorCodes.filter((code) => !anchors.has(code))).toEqual([]);
  });
});
