// docs/getting-started.md as a new user follows it (issue 17, items 18 and 19): the Python-only recipe works as
// written with no TTY and no pnpm workspace, and no documented `$schema` points where pnpm does not install.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanEnv, ROOT, remove, runVersion, tempDir } from "./reliability/helpers.js";
import { linkTools } from "./reliability/publish-fixture.js";

const guide = await readFile(path.join(ROOT, "docs/getting-started.md"), "utf8");
const blocks = [...guide.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map(([, lang, body]) => ({
  lang,
  body: body ?? "",
}));
const work: string[] = [];
afterAll(async () => {
  for (const dir of work) await remove(dir);
});

describe("getting-started", () => {
  it("installs without `changeset init` (interactive in v3) and uses pnpm's -w only in a pnpm workspace", () => {
    const shell = blocks.filter((block) => block.lang === "sh").map((block) => block.body);
    expect(shell.join("\n")).not.toMatch(/changeset init/);
    for (const body of shell) {
      if (/-Dw\b/.test(body)) expect(body).toMatch(/^pnpm add -Dw /m);
      if (/^npm i\b/m.test(body)) expect(body).not.toMatch(/-w\b/);
    }
  });

  it("runs the Python-only recipe as written: the root pyproject.toml follows the root package.json", async () => {
    const recipe = blocks.find((block) => block.lang === "sh" && block.body.includes('"private": true'));
    const config = blocks.find((block) => block.lang === "json" && block.body.includes('"changelog"'));
    expect(recipe && config, "the Python-only recipe and the config of step 2").toBeTruthy();
    const dir = await tempDir("pc-getting-started-");
    work.push(dir);
    await writeFile(
      path.join(dir, "pyproject.toml"),
      '[project]\nname = "my-python-package"\nversion = "1.0.0"\n',
    );
    for (const line of recipe!.body.trim().split("\n")) {
      // The install itself comes from this workspace (no registry in tests); every other line runs as written.
      if (line.startsWith("npm i ")) await linkTools(dir);
      else execFileSync("sh", ["-c", line], { cwd: dir });
    }
    const settings = JSON.parse(config!.body) as Record<string, unknown>;
    settings.privatePackages = { version: true, tag: true };
    await writeFile(path.join(dir, ".changeset/config.json"), JSON.stringify(settings, null, 2));
    await mkdir(path.join(dir, "node_modules/@polyglot-changesets"), { recursive: true });
    await symlink(
      path.join(ROOT, "packages/changelog"),
      path.join(dir, "node_modules/@polyglot-changesets/changelog"),
    );
    await writeFile(
      path.join(dir, ".changeset/first.md"),
      '---\n"my-python-package": minor\n---\n\nA feature.\n',
    );
    const git = (...args: string[]) => spawnSync("git", args, { cwd: dir });
    git("init", "-q", "-b", "main");
    git("-c", "user.name=u", "-c", "user.email=u@example.com", "commit", "-q", "--allow-empty", "-m", "init");
    const result = await runVersion(dir, [], cleanEnv());
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(await readFile(path.join(dir, "pyproject.toml"), "utf8")).toBe(
      '[project]\nname = "my-python-package"\nversion = "1.1.0"\n',
    );
  });

  it("documents a `$schema` that resolves after the documented install", async () => {
    const files = ["README.md", "packages/core/README.md", "docs/getting-started.md", "docs/migration.md"];
    for (const file of files) {
      const text = await readFile(path.join(ROOT, file), "utf8");
      // pnpm installs @polyglot-changesets/core only as a dependency of the CLIs, not at node_modules' top level.
      expect(text, file).not.toMatch(/node_modules\/@polyglot-changesets\/core/);
    }
  });
});
