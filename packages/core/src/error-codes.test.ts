import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { errorCodes } from "./error-codes.js";

const TROUBLESHOOTING = path.resolve(import.meta.dirname, "../../../docs/troubleshooting.md");

/** The `##` / `###` headings of docs/troubleshooting.md that are codes (one kebab-case word), outside fences. */
function codeSections(markdown: string): string[] {
  const sections: string[] = [];
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const heading = fenced ? undefined : /^#{2,3} +(\S+) *$/.exec(line)?.[1];
    if (heading && /^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(heading)) sections.push(heading);
  }
  return sections;
}

describe("errorCodes", () => {
  const sections = codeSections(readFileSync(TROUBLESHOOTING, "utf8"));

  it("is sorted and has no duplicates", () => {
    expect([...errorCodes]).toEqual([...new Set(errorCodes)].sort());
  });

  it("has a section in docs/troubleshooting.md for every code", () => {
    expect(errorCodes.filter((code) => !sections.includes(code))).toEqual([]);
  });

  it("lists every code section of docs/troubleshooting.md, once", () => {
    const codes: readonly string[] = errorCodes;
    expect(sections.filter((section) => !codes.includes(section))).toEqual([]);
    expect(sections.filter((section, at) => sections.indexOf(section) !== at)).toEqual([]);
  });
});
