import { spawnSync } from "node:child_process";
import { clean, valid } from "@renovatebot/pep440";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { catchError } from "./__fixtures__/catch-error.js";
import { normalizePythonName, type Pep440Map, samePep440, toPep440 } from "./pep440.js";

describe("toPep440", () => {
  const facts: [string, string][] = [
    ["1.2.0", "1.2.0"],
    ["1.2.0-alpha.3", "1.2.0a3"],
    ["1.2.0-a.3", "1.2.0a3"],
    ["1.2.0-beta.1", "1.2.0b1"],
    ["1.2.0-b.1", "1.2.0b1"],
    ["1.2.0-rc.2", "1.2.0rc2"],
    ["1.2.0-c.2", "1.2.0rc2"],
    ["1.2.0-pre.2", "1.2.0rc2"],
    ["1.2.0-preview.2", "1.2.0rc2"],
    ["1.2.0-dev.4", "1.2.0.dev4"],
  ];
  it.each(facts)("maps the FACTS row %s -> %s", (semver, expected) => {
    expect(toPep440(semver)).toBe(expected);
  });

  const more: [string, Pep440Map, string][] = [
    ["0.0.1", {}, "0.0.1"],
    ["10.20.30", {}, "10.20.30"],
    ["1.2.0-beta", {}, "1.2.0b0"],
    ["1.2.0-rc", {}, "1.2.0rc0"],
    ["1.2.0-dev", {}, "1.2.0.dev0"],
    ["1.2.0-RC.1", {}, "1.2.0rc1"],
    ["1.2.0-Alpha.0", {}, "1.2.0a0"],
    ["1.2.0-next.0", { next: "rc" }, "1.2.0rc0"],
    ["1.2.0-next.7", { next: "b" }, "1.2.0b7"],
    ["1.2.0-canary.3", { canary: "dev" }, "1.2.0.dev3"],
    ["1.2.0-my-tag.2", { "my-tag": "a" }, "1.2.0a2"],
    ["1.2.0-pre.1", { pre: "dev" }, "1.2.0.dev1"],
    ["1.2.0+build.5", {}, "1.2.0"],
    ["1.2.0-rc.1+sha.abc", {}, "1.2.0rc1"],
    ["0.0.0-canary-20261122051500", { canary: "dev" }, "0.0.0.dev20261122051500"],
    ["0.0.0-canary-20261122051500", { canary: "a" }, "0.0.0a20261122051500"],
    ["1.2.4-canary-20261122051500", { canary: "dev" }, "1.2.4.dev20261122051500"],
    ["0.0.0-20261122051500", {}, "0.0.0.dev20261122051500"],
    ["0.0.0-dev-20261122051500", {}, "0.0.0.dev20261122051500"],
    ["0.0.0-canary-1795324500000", { canary: "dev" }, "0.0.0.dev1795324500000"],
    ["0.0.0-canary-20261122051500-1a2b3c4", { canary: "dev" }, "0.0.0.dev20261122051500"],
    ["0.0.0-canary-1a2b3c4-20261122051500", { canary: "dev" }, "0.0.0.dev20261122051500"],
    [`0.0.0-canary-${"ab12".repeat(10)}-20261122051500`, { canary: "dev" }, "0.0.0.dev20261122051500"],
    ["0.0.0-canary-1795324500000-20261122051500", { canary: "dev" }, "0.0.0.dev20261122051500"],
    ["0.0.0-canary.20261122051500", { canary: "rc" }, "0.0.0rc20261122051500"],
    ["0.0.0-pr-42-20261122051500", { "pr-42": "dev" }, "0.0.0.dev20261122051500"],
  ];
  it.each(more)("maps %s with %j -> %s", (semver, map, expected) => {
    expect(toPep440(semver, map)).toBe(expected);
  });

  it("refuses an unmapped tag, naming it, the setting, the file and the fix", () => {
    const error = catchError(() => toPep440("1.2.0-next.0"));
    expect(error.message).toContain('"next"');
    expect(error.setting).toBe("pep440.next");
    expect(error.file).toBe(".changeset/polyglot.json");
    expect(error.fix).toBe('add "pep440": { "next": "a" | "b" | "rc" | "dev" } to .changeset/polyglot.json');
  });

  it("does not take a tag named like an Object.prototype member for a mapping", () => {
    expect(catchError(() => toPep440("1.2.0-constructor.1")).setting).toBe("pep440.constructor");
    expect(catchError(() => toPep440("1.2.0-toString.1", {})).setting).toBe("pep440.toString");
  });

  it("refuses an unmapped snapshot tag", () => {
    expect(catchError(() => toPep440("0.0.0-canary-20261122051500")).setting).toBe("pep440.canary");
  });

  it("refuses post: a PEP 440 post-release sorts after the release, a semver prerelease before", () => {
    expect(catchError(() => toPep440("1.2.0-post.1")).setting).toBe("pep440.post");
  });

  it("refuses a snapshot that only has a commit", () => {
    const error = catchError(() => toPep440("0.0.0-canary-1a2b3c4", { canary: "dev" }));
    expect(error.setting).toBe("snapshot.prereleaseTemplate");
    expect(error.file).toBe(".changeset/config.json");
  });

  it("refuses prereleases with several identifiers and a bad mapping", () => {
    expect(catchError(() => toPep440("1.2.0-alpha.beta")).setting).toBe("pep440.alpha.beta");
    expect(catchError(() => toPep440("1.2.0-alpha.1.2")).setting).toBe("pep440.alpha.1.2");
    const bad = { next: "post" } as unknown as Pep440Map;
    expect(catchError(() => toPep440("1.2.0-next.1", bad)).message).toContain('"post"');
  });

  it("refuses what is not semver", () => {
    for (const input of ["1.2", "latest", "1.2.0.0", ""]) {
      expect(catchError(() => toPep440(input)).message).toContain("not a semver version");
    }
  });

  it("always returns a valid, canonical PEP 440 version that keeps release and prerelease order", () => {
    const kinds = ["alpha", "beta", "rc", "dev", "next"] as const;
    const version = fc.record({
      major: fc.nat(50),
      minor: fc.nat(50),
      patch: fc.nat(50),
      pre: fc.option(fc.record({ tag: fc.constantFrom(...kinds), n: fc.nat(99) })),
    });
    fc.assert(
      fc.property(version, (v) => {
        const pre = v.pre ? `-${v.pre.tag}.${v.pre.n}` : "";
        const result = toPep440(`${v.major}.${v.minor}.${v.patch}${pre}`, { next: "rc" });
        expect(valid(result)).toBe(result);
        expect(clean(result)).toBe(result);
        expect(result.startsWith(`${v.major}.${v.minor}.${v.patch}`)).toBe(true);
        expect(result.endsWith(v.pre ? String(v.pre.n) : String(v.patch))).toBe(true);
      }),
    );
  });
});

describe("normalizePythonName", () => {
  it.each([
    ["Event_Forge.Inbox--Outbox", "event-forge-inbox-outbox"],
    ["friendly-bard", "friendly-bard"],
    ["Friendly.Bard", "friendly-bard"],
    ["FRIENDLY__bard", "friendly-bard"],
    ["friendly-._bard", "friendly-bard"],
  ])("%s -> %s", (name, expected) => {
    expect(normalizePythonName(name)).toBe(expected);
  });
});

const PYTHON = "python3";
const hasPackaging = spawnSync(PYTHON, ["-c", "import packaging.version"], { encoding: "utf8" }).status === 0;

describe.skipIf(!hasPackaging)("toPep440 against Python's packaging", () => {
  it("produces what packaging prints, in the same order as the semver versions", () => {
    const rank = { alpha: 0, beta: 1, rc: 2 } as const;
    const cases = fc.sample(
      fc.record({
        release: fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3)),
        pre: fc.option(fc.tuple(fc.constantFrom("alpha", "beta", "rc", "next"), fc.nat(12))),
      }),
      { numRuns: 400, seed: 440 },
    );
    const ordered = cases
      .map(({ release, pre }) => {
        const tag = pre?.[0] === "next" ? "rc" : pre?.[0];
        const key = [...release, tag === undefined ? 3 : rank[tag as keyof typeof rank], pre?.[1] ?? 0];
        return { semver: `${release.join(".")}${pre ? `-${pre[0]}.${pre[1]}` : ""}`, key };
      })
      .sort((a, b) => compareKeys(a.key, b.key));
    const pep440 = ordered.map(({ semver }) => toPep440(semver, { next: "rc" }));
    const script = [
      "import json, sys",
      "from packaging.version import Version",
      "versions = json.load(sys.stdin)",
      "canonical = all(str(Version(v)) == v for v in versions)",
      "parsed = [Version(v) for v in versions]",
      "print(json.dumps({'canonical': canonical, 'sorted': all(a <= b for a, b in zip(parsed, parsed[1:]))}))",
    ].join("\n");
    const result = spawnSync(PYTHON, ["-c", script], { input: JSON.stringify(pep440), encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({ canonical: true, sorted: true });
  });
});

function compareKeys(left: number[], right: number[]): number {
  for (let index = 0; index < left.length; index++) {
    const difference = left[index]! - right[index]!;
    if (difference !== 0) return difference;
  }
  return 0;
}

describe("samePep440", () => {
  it("compares PEP 440 versions, not strings", () => {
    expect(samePep440("1.0", "1.0.0")).toBe(true);
    expect(samePep440("1.0.0RC1", "1.0.0rc1")).toBe(true);
    expect(samePep440("1.0.0", "1.0.1")).toBe(false);
    expect(samePep440("<html>", "1.0.0")).toBe(false);
  });
});
