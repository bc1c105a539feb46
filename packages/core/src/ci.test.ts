import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { appendSummary, detectCi, formatAnnotation, mask, parseOutputFile, setOutput } from "./ci.js";

function tempFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), "ci-test-")), "out");
  writeFileSync(file, "");
  return file;
}

describe("setOutput", () => {
  it("writes heredoc entries that survive newlines and delimiter look-alikes", () => {
    const file = tempFile();
    const env = { GITHUB_OUTPUT: file };
    setOutput("published", "true", env);
    setOutput("notes", "line 1\nEOF\nname=injected\nline 4", env);
    const text = readFileSync(file, "utf8");
    expect(text).toMatch(/^published<<ghadelimiter_[0-9a-f]{32}\ntrue\nghadelimiter_[0-9a-f]{32}\n/);
    expect(parseOutputFile(text)).toEqual({ published: "true", notes: "line 1\nEOF\nname=injected\nline 4" });
  });

  it("uses a different delimiter each time", () => {
    const file = tempFile();
    setOutput("a", "1", { GITHUB_OUTPUT: file });
    setOutput("b", "2", { GITHUB_OUTPUT: file });
    const delimiters = readFileSync(file, "utf8").match(/ghadelimiter_[0-9a-f]+/g) ?? [];
    expect(new Set(delimiters).size).toBe(2);
  });

  it("does nothing without GITHUB_OUTPUT and rejects names that would break the file", () => {
    expect(() => setOutput("x", "1", {})).not.toThrow();
    expect(() => setOutput("a\nb", "1", { GITHUB_OUTPUT: tempFile() })).toThrow(/invalid output name/);
  });
});

describe("appendSummary", () => {
  it("appends markdown with a trailing newline", () => {
    const file = tempFile();
    appendSummary("| a |", { GITHUB_STEP_SUMMARY: file });
    appendSummary("done\n", { GITHUB_STEP_SUMMARY: file });
    expect(readFileSync(file, "utf8")).toBe("| a |\ndone\n");
  });
});

describe("mask", () => {
  it("writes ::add-mask:: per line only under GitHub Actions", () => {
    const lines: string[] = [];
    mask("s3cret\nline2", { GITHUB_ACTIONS: "true" }, (text) => lines.push(text));
    mask("s3cret", {}, (text) => lines.push(text));
    expect(lines).toEqual(["::add-mask::s3cret\n", "::add-mask::line2\n"]);
  });
});

describe("formatAnnotation", () => {
  it("escapes data and properties for the runner", () => {
    const text = formatAnnotation(
      "error",
      "100% broken\nsecond",
      { file: "a,b:c.json", line: 3 },
      { GITHUB_ACTIONS: "true" },
    );
    expect(text).toBe("::error file=a%2Cb%3Ac.json,line=3::100%25 broken%0Asecond\n");
  });

  it("is a plain line elsewhere", () => {
    expect(formatAnnotation("warning", "careful", { file: "x.json", line: 2 }, {})).toBe(
      "warning: x.json:2: careful\n",
    );
  });
});

describe("detectCi", () => {
  it("tells GitHub Actions with and without id-token: write", () => {
    const base = { GITHUB_ACTIONS: "true", GITHUB_REPOSITORY: "o/r" };
    expect(detectCi(base)).toEqual({
      provider: "github-actions",
      repository: "o/r",
      idTokenAvailable: false,
    });
    expect(
      detectCi({ ...base, ACTIONS_ID_TOKEN_REQUEST_URL: "http://x", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "t" })
        .idTokenAvailable,
    ).toBe(true);
  });

  it("tells GitLab and no CI", () => {
    expect(detectCi({ GITLAB_CI: "true", CI_PROJECT_PATH: "g/p", NPM_ID_TOKEN: "x" })).toEqual({
      provider: "gitlab",
      repository: "g/p",
      idTokenAvailable: true,
    });
    expect(detectCi({ CI: "true" })).toEqual({ provider: "none", idTokenAvailable: false });
  });
});
