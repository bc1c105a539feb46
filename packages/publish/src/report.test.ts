import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PolyglotError, parseOutputFile } from "@polyglot-changesets/core";
import { describe, expect, it } from "vitest";
import {
  buildReport,
  errorJson,
  npmLink,
  type PublishReport,
  pypiLink,
  type ReportRecord,
  summaryMarkdown,
  writeOutputs,
} from "./report.js";

const report: PublishReport = {
  published: true,
  "published-packages": [{ name: "@a/b", version: "1.0.0" }],
  pypi: true,
  "pypi-packages": [{ name: "a-b", version: "1.0.0rc1", path: "py", tag: "@a/b@1.0.0" }],
  "dry-run": false,
  failed: [],
  "published-elsewhere": [],
  findings: [{ code: "scoped-access", level: "error", message: "a | b" }],
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
  it("writes the four outputs in changesets/action's shape, and the urls output", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "report-")), "out");
    writeFileSync(file, "");
    writeOutputs(report, { GITHUB_OUTPUT: file });
    const outputs = parseOutputFile(readFileSync(file, "utf8"));
    expect(outputs).toEqual({
      published: "true",
      "published-packages": '[{"name":"@a/b","version":"1.0.0"}]',
      pypi: "true",
      "pypi-packages": '[{"name":"a-b","version":"1.0.0rc1","path":"py","tag":"@a/b@1.0.0"}]',
      urls: "[]",
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

  it("renders repo text as text: no markdown, HTML, broken rows or non-http links", () => {
    const hostile = {
      package: "**bold** <img src=x onerror=alert(1)> [x](javascript:alert(1))\n| injected | row |",
      ecosystem: "npm" as const,
      version: "1.0.0",
      link: "javascript:alert(1)",
      status: "ok",
    };
    const markdown = summaryMarkdown({ ...report, rows: [hostile] });
    const row = markdown.split("\n").find((line) => line.includes("bold")) ?? "";
    expect(row).toBe(
      "| \\*\\*bold\\*\\* &lt;img src=x onerror=alert\\(1\\)&gt; \\[x\\]\\(javascript:alert\\(1\\)\\) \\| injected \\| row \\| | npm | 1.0.0 | javascript:alert\\(1\\) | ok |",
    );
    expect(markdown).not.toContain("<img");
    expect(markdown).not.toContain("](javascript");
  });

  it("keeps a link with parentheses or spaces in one piece", () => {
    const markdown = summaryMarkdown({
      ...report,
      rows: [{ ...report.rows[0]!, link: "https://example.test/a (b)/c" }],
    });
    expect(markdown).toContain("(https://example.test/a%20%28b%29/c)");
    const piped = summaryMarkdown({
      ...report,
      rows: [{ ...report.rows[0]!, link: "http://127.0.0.1:4873/r|**published**|<img src=x>|" }],
    });
    const row = piped.split("\n").find((line) => line.includes("127.0.0.1")) ?? "";
    // Five cells, whatever the URL holds: no `|` but the separators, no markdown in the link.
    expect(row.replace(/\\\|/g, "").split("|")).toHaveLength(7);
    expect(row).toContain("(http://127.0.0.1:4873/r%7C%2A%2Apublished%2A%2A%7C%3Cimg%20src=x%3E%7C)");
  });

  it("links other registries to the package document", () => {
    expect(npmLink("http://127.0.0.1:4873/", "@a/b", "1.0.0")).toBe("http://127.0.0.1:4873/@a%2fb");
  });

  it("derives the outputs, rows and name lists from one list of records", () => {
    const pypi = { name: "a-b", version: "1.0.0", path: "py", tag: "@a/b@1.0.0" };
    const records: ReportRecord[] = [
      { package: "@a/b", ecosystem: "npm", version: "1.0.0", status: "published", outcome: "published" },
      { package: "@a/c", ecosystem: "npm", version: "2.0.0", status: "failed", outcome: "failed" },
      {
        package: "@a/d",
        ecosystem: "npm",
        version: "3.0.0",
        status: "elsewhere",
        outcome: "published-elsewhere",
      },
      { package: "priv", ecosystem: "git tag", version: "0.1.0", status: "tagged", outcome: "published" },
      { package: "a-b", ecosystem: "PyPI", version: "1.0.0", status: "ready", outcome: "handed-over", pypi },
    ];
    const report = buildReport(records, [], false);
    expect(report).toMatchObject({
      published: true,
      "published-packages": [
        { name: "@a/b", version: "1.0.0" },
        { name: "priv", version: "0.1.0" },
      ],
      pypi: true,
      "pypi-packages": [pypi],
      failed: ["@a/c@2.0.0"],
      "published-elsewhere": ["@a/d@3.0.0"],
    });
    expect(report.rows).toEqual(records.map(({ outcome: _o, pypi: _p, ...row }) => row));
    expect(
      buildReport(
        records.map((record) => ({ ...record, outcome: "planned" })),
        [],
        true,
      ),
    ).toMatchObject({
      published: false,
      "published-packages": [],
      pypi: false,
      "pypi-packages": [],
      "dry-run": true,
    });
  });

  it("prints an error under --json with its code, where and fix", () => {
    const error = new PolyglotError("bad", { code: "usage", setting: "--x", fix: "drop --x", exitCode: 2 });
    expect(JSON.parse(errorJson(error))).toEqual({
      error: { code: "usage", message: "bad", exitCode: 2, setting: "--x", fix: "drop --x" },
    });
  });
});
