import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseOutputFile } from "@polyglot-changesets/core";
import { describe, expect, it } from "vitest";
import { npmLink, type PublishReport, pypiLink, summaryMarkdown, writeOutputs } from "./report.js";

const report: PublishReport = {
  published: true,
  "published-packages": [{ name: "@a/b", version: "1.0.0" }],
  pypi: true,
  "pypi-packages": [{ name: "a-b", version: "1.0.0rc1", path: "py", tag: "@a/b@1.0.0" }],
  "dry-run": false,
  failed: [],
  "published-elsewhere": [],
  findings: [{ id: "scoped-access", level: "error", message: "a | b" }],
  rows: [
    {
      package: "@a/b",
      ecosystem: "npm",
      version: "1.0.0",
      link: npmLink("https://registry.npmjs.org/", "@a/b", "1.0.0"),
      status: "published",
    },
    {
      package: "a-b",
      ecosystem: "PyPI",
      version: "1.0.0rc1",
      link: pypiLink("https://pypi.org", "a-b", "1.0.0rc1"),
      status: "ready",
    },
  ],
};

describe("report", () => {
  it("writes the four outputs in changesets/action's shape", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "report-")), "out");
    writeFileSync(file, "");
    writeOutputs(report, { GITHUB_OUTPUT: file });
    const outputs = parseOutputFile(readFileSync(file, "utf8"));
    expect(outputs).toEqual({
      published: "true",
      "published-packages": '[{"name":"@a/b","version":"1.0.0"}]',
      pypi: "true",
      "pypi-packages": '[{"name":"a-b","version":"1.0.0rc1","path":"py","tag":"@a/b@1.0.0"}]',
    });
  });

  it("renders a summary table with registry links and escaped cells", () => {
    const markdown = summaryMarkdown(report);
    expect(markdown).toContain("| Package | Ecosystem | Version | Registry | Status |");
    expect(markdown).toContain(
      "| @a/b | npm | 1.0.0 | [www.npmjs.com/package/@a/b/v/1.0.0](https://www.npmjs.com/package/@a/b/v/1.0.0) | published |",
    );
    expect(markdown).toContain("[pypi.org/project/a-b/1.0.0rc1/](https://pypi.org/project/a-b/1.0.0rc1/)");
    expect(markdown).toContain("`scoped-access`: a \\| b");
    expect(summaryMarkdown({ ...report, rows: [] })).toContain("Nothing to publish.");
  });

  it("links other registries to the package document", () => {
    expect(npmLink("http://127.0.0.1:4873/", "@a/b", "1.0.0")).toBe("http://127.0.0.1:4873/@a%2fb");
  });
});
