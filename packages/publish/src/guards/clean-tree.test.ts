import { createTempRepo } from "@polyglot-changesets/testkit";
import { describe, expect, it } from "vitest";
import { cleanTreeFindings, isAllowed, parsePorcelain } from "./clean-tree.js";
import { packOnce } from "./reproducible.js";
import { differingFiles } from "./tarball.js";

describe("parsePorcelain", () => {
  it("reads modified, staged, untracked and renamed entries (NUL-separated, a rename's origin skipped)", () => {
    const text = [
      " M src/a.ts",
      "M  src/b.ts",
      "MM src/c.ts",
      "?? dist/new file.js",
      "R  to.ts",
      "from.ts",
      "",
    ].join("\0");
    expect(parsePorcelain(text)).toEqual([
      { path: "src/a.ts", kind: "modified" },
      { path: "src/b.ts", kind: "staged" },
      { path: "src/c.ts", kind: "modified" },
      { path: "dist/new file.js", kind: "untracked" },
      { path: "to.ts", kind: "staged" },
    ]);
  });
});

describe("isAllowed", () => {
  it("matches globs and whole folders", () => {
    expect(isAllowed("bindings/src/a.ts", ["bindings/src/**"])).toBe(true);
    expect(isAllowed("bindings/src/a.ts", ["bindings/"])).toBe(true);
    expect(isAllowed("packages/x/dist/i.js", ["**/dist/**"])).toBe(true);
    expect(isAllowed("packages/x/src/i.js", ["**/dist/**", "./other"])).toBe(false);
  });
});

describe("cleanTreeFindings on a real git repo", () => {
  it("lists a staged change and a file with a line break in its name quoted, never raw", async () => {
    const repo = await createTempRepo({ "a.txt": "a\n" });
    try {
      await repo.write({ "a.txt": "changed\n", "evil\n::warning::x.txt": "x" });
      await repo.git("add", "a.txt");
      const [finding] = await cleanTreeFindings(repo.dir, []);
      expect(finding?.code).toBe("tree-dirty");
      expect(finding?.message).toContain("a.txt (staged)");
      expect(finding?.message).toContain('"evil\\n::warning::x.txt" (untracked)');
      expect(finding?.message).not.toContain("\n");
      const allowed = await cleanTreeFindings(repo.dir, ["a.txt", "evil*"]);
      expect(allowed).toEqual([
        {
          code: "tree-clean",
          level: "info",
          message: "the working tree is clean (2 change(s) allowed by --allow-dirty)",
        },
      ]);
    } finally {
      await repo.cleanup();
    }
  });

  it("lets .npmrc changes pass (npm never packs it), and only warns for a snapshot (--no-git-tag)", async () => {
    const repo = await createTempRepo({ ".npmrc": "", "packages/a/.npmrc": "", "a.txt": "a\n" });
    try {
      await repo.write({ ".npmrc": "//r/:_authToken=npm_placeholder\n", "packages/a/.npmrc": "x=1\n" });
      expect(await cleanTreeFindings(repo.dir, [])).toEqual([
        {
          code: "tree-clean",
          level: "info",
          message: "the working tree is clean (2 to .npmrc, which npm never packs)",
        },
      ]);
      await repo.write({ "a.txt": "bumped\n" });
      const [snapshot] = await cleanTreeFindings(repo.dir, [], { snapshot: true });
      expect(snapshot).toMatchObject({ code: "tree-dirty", level: "warning" });
      expect(snapshot?.message).toContain(
        "snapshot release (--no-git-tag) from an uncommitted tree, as Changesets' snapshot flow does: a.txt (modified)",
      );
    } finally {
      await repo.cleanup();
    }
  });

  it("warns, and does not pass silently, outside a git checkout", async () => {
    const [finding] = await cleanTreeFindings("/", []);
    expect(finding?.code).toBe("tree-unknown");
    expect(finding?.level).toBe("warning");
  });
});

describe("differingFiles", () => {
  it("names the changed and the added file of two real npm packs", async () => {
    const repo = await createTempRepo({
      "package.json": { name: "differ", version: "1.0.0", files: ["*.txt"] },
      "same.txt": "same\n",
      "gen.txt": "1\n",
    });
    try {
      const env = { PATH: process.env.PATH, HOME: repo.dir, npm_config_cache: `${repo.dir}/.npm` };
      const first = await packOnce(repo.dir, env);
      await repo.write({ "gen.txt": "2\n", "extra.txt": "new\n" });
      const second = await packOnce(repo.dir, env);
      expect(first.integrity).not.toBe(second.integrity);
      expect(differingFiles(first.tarball, second.tarball)).toEqual(["package/extra.txt", "package/gen.txt"]);
      expect(differingFiles(first.tarball, first.tarball)).toEqual([]);
    } finally {
      await repo.cleanup();
    }
  });
});
