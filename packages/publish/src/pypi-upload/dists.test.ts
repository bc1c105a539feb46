import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readDistributions } from "./dists.js";

describe("readDistributions", () => {
  it("takes the sdists and wheels of a folder, refuses anything else named and a missing path", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "polyglot-dists-"));
    mkdirSync(path.join(dir, "dist"));
    for (const name of [
      "a_pkg-1.0.0.tar.gz",
      "a_pkg-1.0.0-py3-none-any.whl",
      "notes.txt",
      "b_pkg-2.0.tar.gz",
    ]) {
      writeFileSync(path.join(dir, "dist", name), "x");
    }
    const files = readDistributions(["dist"], dir);
    expect(files.map((file) => file.filename)).toEqual([
      "a_pkg-1.0.0-py3-none-any.whl",
      "a_pkg-1.0.0.tar.gz",
      "b_pkg-2.0.tar.gz",
    ]);
    expect(() => readDistributions(["dist/notes.txt"], dir)).toThrow(/is not an sdist/);
    expect(() => readDistributions(["missing/"], dir)).toThrow(/does not exist/);
    expect(() => readDistributions([], dir)).toThrow(/needs the distributions/);
    mkdirSync(path.join(dir, "empty"));
    expect(() => readDistributions(["empty"], dir)).toThrow(/no .tar.gz or .whl file/);
  });
});
