import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { groupByRelease, parseDistribution, readDistributions } from "./dists.js";

describe("parseDistribution", () => {
  it("reads PEP 625 sdists and PEP 427 wheels (with a build tag)", () => {
    expect(parseDistribution("/d/event_forge-1.2.0rc1.tar.gz")).toMatchObject({
      project: "event-forge",
      version: "1.2.0rc1",
      kind: "sdist",
    });
    expect(parseDistribution("/d/Event.Forge-1.0.tar.gz")).toMatchObject({
      project: "event-forge",
      version: "1.0",
    });
    expect(parseDistribution("/d/event_forge-1.2.0-1-py3-none-any.whl")).toMatchObject({
      project: "event-forge",
      version: "1.2.0",
      kind: "wheel",
    });
  });

  it.each([
    "event_forge.tar.gz",
    "event_forge-1.0.0-next.0.tar.gz",
    "event_forge-1.0.0.whl",
    "event_forge-x.y-py3-none-any.whl",
  ])("refuses %s, naming the fix", (name) => {
    expect(() => parseDistribution(`/d/${name}`)).toThrow(/not a valid (sdist|wheel) file name/);
  });
});

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
    expect(groupByRelease(files).map((group) => [group.project, group.version, group.files.length])).toEqual([
      ["a-pkg", "1.0.0", 2],
      ["b-pkg", "2.0", 1],
    ]);
    expect(() => readDistributions(["dist/notes.txt"], dir)).toThrow(/is not an sdist/);
    expect(() => readDistributions(["missing/"], dir)).toThrow(/does not exist/);
    expect(() => readDistributions([], dir)).toThrow(/needs the distributions/);
    mkdirSync(path.join(dir, "empty"));
    expect(() => readDistributions(["empty"], dir)).toThrow(/no .tar.gz or .whl file/);
  });
});
