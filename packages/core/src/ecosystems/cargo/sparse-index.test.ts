import { describe, expect, it } from "vitest";
import {
  isMissingCrateStatus,
  parseSparseIndexFile,
  sparseIndexPath,
  sparseIndexUrl,
} from "./sparse-index.js";

describe("cargo's sparse index", () => {
  it("puts a crate at cargo's prefix path, lower-cased", () => {
    expect(["a", "AB", "abc", "Serde", "x0x-types"].map(sparseIndexPath)).toEqual([
      "1/a",
      "2/ab",
      "3/a/abc",
      "se/rd/serde",
      "x0/x-/x0x-types",
    ]);
    expect(sparseIndexUrl("sparse+https://index.crates.io/", "x0x")).toBe("https://index.crates.io/3/x/x0x");
    expect(sparseIndexUrl("sparse+http://127.0.0.1:1/index", "ab")).toBe("http://127.0.0.1:1/index/2/ab");
  });

  it("reads every version line, yanked ones too", () => {
    const text =
      '{"name":"x0x","vers":"0.4.0","deps":[],"cksum":"00","features":{},"yanked":false}\n{"name":"x0x","vers":"0.5.0","yanked":true}\n';
    expect(parseSparseIndexFile(text, "x0x")).toEqual({ versions: new Set(["0.4.0", "0.5.0"]) });
    expect(parseSparseIndexFile("", "x0x")).toEqual({ versions: new Set() });
  });

  it("says what is wrong with a file that is not this crate's index file", () => {
    expect(parseSparseIndexFile("<html>", "x0x")).toEqual({ problem: "line 1 is not JSON" });
    expect(parseSparseIndexFile('{"name":"x0y","vers":"1.0.0"}', "x0x")).toEqual({
      problem: 'line 1 names the crate "x0y" instead of x0x',
    });
    expect(parseSparseIndexFile('{"name":"x0x","vers":"1.0.0"}\n[1]', "x0x")).toEqual({
      problem: "line 2 is not an index entry (a JSON object)",
    });
    expect(parseSparseIndexFile('{"name":"x0x"}', "x0x")).toEqual({
      problem: "line 1 has no version (`vers`)",
    });
  });

  it("reads 404, 410 and 451 as a crate that does not exist", () => {
    expect([404, 410, 451, 200, 500].map(isMissingCrateStatus)).toEqual([true, true, true, false, false]);
  });
});
