import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CHANGESETS_CLI, createTempRepo } from "./repo.js";

describe("createTempRepo", () => {
  it("commits the file tree on main, writing objects as JSON", async () => {
    await using repo = await createTempRepo({
      "package.json": { name: "root", private: true },
      "packages/a/README.md": "# a\n",
    });
    expect(repo.dir.startsWith(await realTmp())).toBe(true);
    expect(await repo.read("package.json")).toBe('{\n  "name": "root",\n  "private": true\n}\n');
    expect(await repo.read("packages/a/README.md")).toBe("# a\n");
    expect(await repo.git("branch", "--show-current")).toBe("main");
    expect(await repo.git("log", "--format=%s")).toBe("initial commit");
    expect((await repo.git("ls-files")).split("\n")).toEqual(["package.json", "packages/a/README.md"]);
    expect(await repo.git("status", "--porcelain")).toBe("");
  });

  it("sets a local identity so later commits by other tools work", async () => {
    await using repo = await createTempRepo({ "a.txt": "a\n" });
    expect(await repo.git("config", "--local", "user.name")).toBe("Polyglot Test");
    expect(await repo.git("config", "--local", "user.email")).toBe("test@polyglot.invalid");
  });

  it("writes and commits further changes and returns the sha", async () => {
    await using repo = await createTempRepo({ "a.txt": "a\n" });
    await repo.write({ "a.txt": "b\n", "dir/c.json": [1, 2] });
    const sha = await repo.commit("second");
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await repo.git("rev-parse", "HEAD")).toBe(sha);
    expect(await repo.git("log", "--format=%s")).toBe("second\ninitial commit");
    expect(await repo.read("dir/c.json")).toBe("[\n  1,\n  2\n]\n");
  });

  it("adds the origin remote when asked", async () => {
    await using repo = await createTempRepo({}, { remote: "https://github.com/owner/repo.git" });
    expect(await repo.git("remote", "get-url", "origin")).toBe("https://github.com/owner/repo.git");
  });

  it("removes the directory on cleanup and on dispose", async () => {
    const repo = await createTempRepo({ "a.txt": "a\n" });
    await repo.cleanup();
    expect(existsSync(repo.dir)).toBe(false);
    let disposedDir = "";
    {
      await using disposed = await createTempRepo({ "a.txt": "a\n" });
      disposedDir = disposed.dir;
      expect(existsSync(join(disposedDir, "a.txt"))).toBe(true);
    }
    expect(existsSync(disposedDir)).toBe(false);
  });

  it("refuses paths that leave the repo", async () => {
    await using repo = await createTempRepo({});
    await expect(repo.write({ "../escape.txt": "x" })).rejects.toThrow(/inside the repo/);
    await expect(repo.read("/etc/passwd")).rejects.toThrow(/inside the repo/);
  });

  it("links packages into an ignored node_modules, e.g. the real changesets CLI", async () => {
    await using repo = await createTempRepo(
      { "a.txt": "a\n" },
      { link: { "@changesets/cli": CHANGESETS_CLI } },
    );
    expect(existsSync(join(repo.dir, "node_modules/@changesets/cli/package.json"))).toBe(true);
    expect(await repo.read(".gitignore")).toBe("node_modules\n");
    expect(await repo.git("status", "--porcelain")).toBe("");
    await expect(createTempRepo({}, { link: { "../out": CHANGESETS_CLI } })).rejects.toThrow(
      /inside the repo/,
    );
  });

  it("reports git failures with git's message", async () => {
    await using repo = await createTempRepo({});
    await expect(repo.git("rev-parse", "no-such-ref")).rejects.toThrow(/no-such-ref/);
  });
});

async function realTmp(): Promise<string> {
  const { realpath } = await import("node:fs/promises");
  return realpath(tmpdir());
}
