// What npm users install (issue 17, item 20): each publishable package packed by pnpm as `changeset publish`
// does in this pnpm workspace, then read back from the tarball: no `workspace:` range, no dependency on a
// private package of this repo, no source map pointing at files that are not shipped.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ensureTool } from "@polyglot-changesets/testkit";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..");
const packages = readdirSync(path.join(root, "packages"))
  .map((dir) => ({
    dir: path.join(root, "packages", dir),
    json: readJson(path.join(root, "packages", dir, "package.json")),
  }))
  .filter((pkg) => pkg.json.private !== true);
const privateNames = readdirSync(path.join(root, "packages"))
  .map((dir) => readJson(path.join(root, "packages", dir, "package.json")))
  .filter((json) => json.private === true)
  .map((json) => json.name as string);
const out = mkdtempSync(path.join(tmpdir(), "pc-pack-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
}

describe.each(packages.map((pkg) => [pkg.json.name as string, pkg.dir]))("%s as published", (name, dir) => {
  it("has no workspace: range, no private dependency and no dangling source map", async () => {
    const pnpm = path.join(await ensureTool("pnpm@10.34.8"), "pnpm");
    const dest = mkdtempSync(path.join(out, "p-"));
    execFileSync(pnpm, ["pack", "--pack-destination", dest], { cwd: dir, stdio: "pipe" });
    const tarball = readdirSync(dest).find((file) => file.endsWith(".tgz"))!;
    execFileSync("tar", ["-xzf", tarball], { cwd: dest });
    const manifest = readJson(path.join(dest, "package/package.json"));
    for (const field of ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"]) {
      const deps = (manifest[field] ?? {}) as Record<string, string>;
      for (const [dep, range] of Object.entries(deps)) {
        expect(range, `${name} ${field}.${dep}`).not.toMatch(/^workspace:/);
        expect(privateNames, `${name} ${field} names the private ${dep}`).not.toContain(dep);
      }
    }
    const files = execFileSync("tar", ["-tzf", tarball], { cwd: dest, encoding: "utf8" }).split("\n");
    expect(
      files.filter((file) => file.endsWith(".map")),
      name,
    ).toEqual([]);
    for (const file of files.filter((entry) => entry.endsWith(".js"))) {
      expect(readFileSync(path.join(dest, file), "utf8"), file).not.toMatch(/sourceMappingURL/);
    }
  });
});
