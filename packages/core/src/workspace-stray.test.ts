import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadWorkspace } from "./workspace.js";
import { FileCache } from "./workspace-files.js";
import { findStrayBridgeFolders, formatStrayBridgeFolder } from "./workspace-stray.js";

const roots: string[] = [];
const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
const PYPROJECT = '[project]\nname = "x"\nversion = "1.0.0"\n';

afterEach(async () => {
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })));
});

async function strayIn(files: Record<string, string>) {
  const root = await mkdtemp(path.join(tmpdir(), "polyglot-stray-"));
  roots.push(root);
  const tree = {
    "package.json": json({ name: "root", private: true, workspaces: ["packages/*"] }),
    "package-lock.json": json({ name: "root", lockfileVersion: 3, requires: true, packages: {} }),
    "packages/py/package.json": json({ name: "py", version: "1.0.0", private: true }),
    "packages/py/pyproject.toml": PYPROJECT,
    ...files,
  };
  for (const [file, text] of Object.entries(tree)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  const cache = new FileCache();
  return findStrayBridgeFolders(await loadWorkspace(root, { files: cache }), cache);
}

describe("findStrayBridgeFolders", () => {
  it("names a bridge-shaped folder outside the workspace globs, with the manifest found", async () => {
    const stray = await strayIn({
      "sdk/python/package.json": json({ name: "sdk-py", version: "1.0.0" }),
      "sdk/python/pyproject.toml": PYPROJECT,
      "tools/rs/package.json": json({ name: "rs", version: "1.0.0" }),
      "tools/rs/Cargo.toml": '[package]\nname = "rs"\nversion = "1.0.0"\n',
      "tools/legacy/package.json": json({ name: "legacy", version: "1.0.0" }),
      "tools/legacy/setup.py": "from setuptools import setup\nsetup()\n",
    });
    expect(stray).toEqual([
      { folder: "sdk/python", manifest: "pyproject.toml" },
      { folder: "tools/legacy", manifest: "setup.py" },
      { folder: "tools/rs", manifest: "Cargo.toml" },
    ]);
    expect(formatStrayBridgeFolder(stray[0]!)).toBe(
      'sdk/python has a package.json and a pyproject.toml but is outside the workspace globs, so it is not synced (fix: add it to the workspace globs, or add { "path": "sdk/python", "versionFrom": "<npm package>" } to "targets" in .changeset/polyglot.json)',
    );
  });

  it("ignores tool-only pyprojects, node_modules, dot-folders, build output and folders deeper than 3", async () => {
    const bridge = { "package.json": json({ name: "n", version: "1.0.0" }), "pyproject.toml": PYPROJECT };
    const at = (dir: string) =>
      Object.fromEntries(Object.entries(bridge).map(([file, text]) => [`${dir}/${file}`, text]));
    const stray = await strayIn({
      "web/package.json": json({ name: "web", version: "1.0.0" }),
      "web/pyproject.toml": "[tool.ruff]\nline-length = 100\n",
      ...at("node_modules/dep"),
      ...at(".venv/lib"),
      ...at("dist/copy"),
      ...at("a/b/c/d"),
    });
    expect(stray).toEqual([]);
  });
});
