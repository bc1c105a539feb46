import { describe, expect, it } from "vitest";
import { PolyglotError } from "../errors.js";
import { findChangelogSection, mirrorChangelogSection } from "./changelog.js";

const lines = (...rows: string[]): string => `${rows.join("\n")}\n`;

const SOURCE = lines(
  "# @event-forge/inbox-outbox-core",
  "",
  "## 1.3.0-rc.1",
  "",
  "### Minor Changes",
  "",
  "- abc1234: Add the outbox relay",
  "",
  "  ```md",
  "  ## not a heading",
  "  ```",
  "",
  "### Patch Changes",
  "",
  "- def5678: Fix retries",
  "",
  "## 1.2.0",
  "",
  "### Minor Changes",
  "",
  "- 0000000: Older",
);

const SECTION = lines(
  "### Minor Changes",
  "",
  "- abc1234: Add the outbox relay",
  "",
  "  ```md",
  "  ## not a heading",
  "  ```",
  "",
  "### Patch Changes",
  "",
  "- def5678: Fix retries",
).trimEnd();

describe("findChangelogSection", () => {
  it("returns the body of the version's section only", () => {
    expect(findChangelogSection(SOURCE, "1.3.0-rc.1")).toBe(SECTION);
    expect(findChangelogSection(SOURCE, "1.2.0")).toBe(
      lines("### Minor Changes", "", "- 0000000: Older").trimEnd(),
    );
    expect(findChangelogSection(SOURCE, "1.3.0")).toBeUndefined();
  });

  it("ignores a heading inside a fenced code block", () => {
    const text = lines("# x", "```", "## 2.0.0", "```", "## 1.0.0", "", "- one");
    expect(findChangelogSection(text, "2.0.0")).toBeUndefined();
    expect(findChangelogSection(text, "1.0.0")).toBe("- one");
  });
});

describe("mirrorChangelogSection", () => {
  it("creates the target changelog with a title when there is none", () => {
    const result = mirrorChangelogSection(
      SOURCE,
      "1.3.0-rc.1",
      undefined,
      "1.3.0rc1",
      "event-forge-inbox-outbox",
    );
    expect(result).toBe(`# event-forge-inbox-outbox\n\n## 1.3.0rc1\n\n${SECTION}\n`);
  });

  it("puts the section above the newest one, below the title and intro, and is idempotent", () => {
    const target = lines("# event-forge-inbox-outbox", "", "Python package.", "", "## 1.2.0", "", "- Older");
    const once = mirrorChangelogSection(SOURCE, "1.3.0-rc.1", target, "1.3.0rc1", "ignored");
    expect(once).toBe(
      lines(
        "# event-forge-inbox-outbox",
        "",
        "Python package.",
        "",
        "## 1.3.0rc1",
        "",
        SECTION,
        "",
        "## 1.2.0",
        "",
        "- Older",
      ),
    );
    expect(mirrorChangelogSection(SOURCE, "1.3.0-rc.1", once, "1.3.0rc1", "ignored")).toBe(once);
  });

  it("adds a missing title and appends to a title-only file", () => {
    const untitled = lines("## 1.2.0", "", "- Older");
    expect(mirrorChangelogSection(SOURCE, "1.2.0", untitled, "1.2.1", "pkg")).toBe(
      lines(
        "# pkg",
        "",
        "## 1.2.1",
        "",
        "### Minor Changes",
        "",
        "- 0000000: Older",
        "",
        "## 1.2.0",
        "",
        "- Older",
      ),
    );
    expect(mirrorChangelogSection(SOURCE, "1.2.0", "# pkg", "1.2.0", "pkg")).toBe(
      lines("# pkg", "", "## 1.2.0", "", "### Minor Changes", "", "- 0000000: Older"),
    );
  });

  it("keeps the target's CRLF line endings and BOM", () => {
    const target = "\uFEFF# pkg\r\n\r\n## 1.2.0\r\n\r\n- Older\r\n";
    const result = mirrorChangelogSection(SOURCE, "1.2.0", target, "1.2.1", "pkg");
    expect(result).toBe(
      "\uFEFF# pkg\r\n\r\n## 1.2.1\r\n\r\n### Minor Changes\r\n\r\n- 0000000: Older\r\n\r\n## 1.2.0\r\n\r\n- Older\r\n",
    );
  });

  it("refuses a source without the section", () => {
    expect(() => mirrorChangelogSection(SOURCE, "9.9.9", undefined, "9.9.9", "pkg")).toThrow(PolyglotError);
  });
});
