import { describe, expect, it } from "vitest";
import { parseSummary } from "./summary.js";

describe("parseSummary", () => {
  it("takes out pr, commit and every author line and keeps the rest", () => {
    const parsed = parseSummary(
      "pr: #42\ncommit: abcdef1234\nauthor: @alice\nuser: bob\nFix the parser\n\nDetails here  ",
    );
    expect(parsed).toEqual({
      firstLine: "Fix the parser",
      continuationLines: ["", "Details here"],
      pull: 42,
      commit: "abcdef1234",
      authors: ["alice", "bob"],
    });
  });

  it("accepts `pull request:` and only the first pr line", () => {
    const parsed = parseSummary("Pull Request: 7\npr: 8\nText");
    expect(parsed.pull).toBe(7);
    expect(parsed.firstLine).toBe("pr: 8");
    expect(parsed.continuationLines).toEqual(["Text"]);
  });

  it("leaves a summary without overrides alone", () => {
    expect(parseSummary("Just text")).toEqual({
      firstLine: "Just text",
      continuationLines: [],
      pull: undefined,
      commit: undefined,
      authors: [],
    });
  });
});
