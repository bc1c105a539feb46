import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PolyglotError } from "./errors.js";
import { loadWorkspace } from "./workspace.js";

type FileTree = Record<string, string>;
const roots: string[] = [];

async function writeTree(files: FileTree): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), "polyglot-ws-"));
  roots.push(root);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  return root;
}

async function snapshot(root: string, files: FileTree): Promise<FileTree> {
  const entries = await Promise.all(
    Object.keys(files).map(async (file) => [file, await readFile(path.join(root, file), "utf8")] as const),
  );
  return Object.fromEntries(entries);
}

async function loadError(files: FileTree): Promise<PolyglotError> {
  const root = await writeTree(files);
  const error = await loadWorkspace(root).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(PolyglotError);
  expect(await snapshot(root, files)).toEqual(files);
  return error as PolyglotError;
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** manypkg (like changesets) takes a folder for an npm workspace root only beside a package-lock.json. */
const npmRoot = (workspaces = ["packages/*", "crates/*"]) =>
  json({ name: "root", private: true, workspaces });
const LOCK = json({ name: "root", lockfileVersion: 3, requires: true, packages: {} });

afterEach(async () => {
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })));
});

describe("loadWorkspace", () => {
  it("finds a bridge target: a workspace package folder with a pyproject.toml", async () => {
    const root = await writeTree({
      "package-lock.json": LOCK,
      "package.json": npmRoot(),
      "packages/core/package.json": json({ name: "@acme/core", version: "1.2.0" }),
      "packages/py/package.json": json({ name: "acme-py", version: "0.3.0", private: true }),
      "packages/py/pyproject.toml": '[project]\nname = "acme_py"\nversion = "0.3.0"\n',
    });
    const workspace = await loadWorkspace(path.join(root, "packages/core"));
    expect(workspace.root).toBe(root);
    expect(workspace.tool).toBe("npm");
    expect(workspace.packages.map((pkg) => [pkg.name, pkg.version, pkg.relativeDir, pkg.private])).toEqual([
      ["@acme/core", "1.2.0", "packages/core", false],
      ["acme-py", "0.3.0", "packages/py", true],
    ]);
    expect(workspace.targets).toEqual([
      {
        ecosystem: "pypi",
        mode: "bridge",
        dir: path.join(root, "packages/py"),
        relativeDir: "packages/py",
        manifest: path.join(root, "packages/py/pyproject.toml"),
        name: "acme_py",
        source: "acme-py",
        versionFiles: [],
        changelog: false,
      },
    ]);
  });

  it("finds follow targets from .changeset/polyglot.json, outside the workspace", async () => {
    const root = await writeTree({
      "package-lock.json": LOCK,
      "package.json": npmRoot(["packages/*"]),
      "packages/core/package.json": json({ name: "@acme/core", version: "1.2.0" }),
      "python/pyproject.toml": '[tool.poetry]\nname = "acme"\nversion = "1.2.0"\n',
      "python/acme/__init__.py": '__version__ = "1.2.0"\n',
      ".changeset/polyglot.json": json({
        targets: [
          { path: "python", versionFrom: "@acme/core", versionFiles: ["acme/__init__.py"], changelog: true },
        ],
      }),
    });
    const [target] = (await loadWorkspace(root)).targets;
    expect(target).toMatchObject({
      ecosystem: "pypi",
      mode: "follow",
      relativeDir: "python",
      name: "acme",
      source: "@acme/core",
      versionFiles: [path.join(root, "python/acme/__init__.py")],
      changelog: true,
      setting: "targets[0]",
    });
  });

  it("lets a config entry take over a bridge folder (to add versionFiles)", async () => {
    const root = await writeTree({
      "package-lock.json": LOCK,
      "package.json": npmRoot(["packages/*"]),
      "packages/py/package.json": json({ name: "acme-py", version: "0.3.0", private: true }),
      "packages/py/pyproject.toml": '[project]\nname = "acme"\nversion = "0.3.0"\n',
      "packages/py/acme.py": '__version__ = "0.3.0"\n',
      ".changeset/polyglot.json": json({
        targets: [{ path: "packages/py", versionFrom: "acme-py", versionFiles: ["acme.py"] }],
      }),
    });
    const targets = (await loadWorkspace(root)).targets;
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({
      mode: "follow",
      versionFiles: [path.join(root, "packages/py/acme.py")],
    });
  });

  it("finds a pnpm workspace", async () => {
    const root = await writeTree({
      "package.json": json({ name: "root", private: true }),
      "pnpm-workspace.yaml": "packages:\n  - crates/*\n",
      "crates/x0x/package.json": json({ name: "x0x", version: "0.4.0", private: true }),
      "crates/x0x/Cargo.toml": '[package]\nname = "x0x"\nversion = "0.4.0"\nedition = "2021"\n',
    });
    const workspace = await loadWorkspace(root);
    expect(workspace.tool).toBe("pnpm");
    expect(workspace.targets.map((t) => [t.ecosystem, t.name, t.source])).toEqual([["cargo", "x0x", "x0x"]]);
  });

  it("yields a cargo target and a pypi target for a maturin bridge folder", async () => {
    const root = await writeTree({
      "package-lock.json": LOCK,
      "package.json": npmRoot(["bindings/*"]),
      "bindings/python/package.json": json({ name: "x0x-python", version: "0.4.0", private: true }),
      "bindings/python/Cargo.toml": '[package]\nname = "x0x-py"\nversion = "0.4.0"\n',
      "bindings/python/pyproject.toml":
        '[build-system]\nrequires = ["maturin>=1,<2"]\nbuild-backend = "maturin"\n\n[project]\nname = "x0x"\ndynamic = ["version"]\n',
    });
    const targets = (await loadWorkspace(root)).targets;
    expect(targets.map((t) => [t.ecosystem, t.name, t.source, t.versionFromCargo])).toEqual([
      ["cargo", "x0x-py", "x0x-python", undefined],
      ["pypi", "x0x", "x0x-python", path.join(root, "bindings/python/Cargo.toml")],
    ]);
  });

  it("adds the Cargo.toml a maturin project points at with manifest-path", async () => {
    const root = await writeTree({
      "package-lock.json": LOCK,
      "package.json": npmRoot(["packages/*"]),
      "packages/py/package.json": json({ name: "x0x-python", version: "0.4.0", private: true }),
      "packages/py/pyproject.toml":
        '[build-system]\nbuild-backend = "maturin"\n[project]\nname = "x0x"\ndynamic = ["version"]\n[tool.maturin]\nmanifest-path = "../../rust/Cargo.toml"\n',
      "rust/Cargo.toml": '[package]\nname = "x0x-py"\nversion = "0.4.0"\n',
    });
    const targets = (await loadWorkspace(root)).targets;
    expect(targets.map((t) => [t.ecosystem, t.relativeDir, t.source])).toEqual([
      ["pypi", "packages/py", "x0x-python"],
      ["cargo", "rust", "x0x-python"],
    ]);
  });

  it("resolves hatch and setuptools dynamic version files", async () => {
    const root = await writeTree({
      "package-lock.json": LOCK,
      "package.json": npmRoot(["packages/*"]),
      "packages/hatch/package.json": json({ name: "hatch-pkg", version: "1.0.0", private: true }),
      "packages/hatch/pyproject.toml":
        '[project]\nname = "h"\ndynamic = ["version"]\n[tool.hatch.version]\npath = "src/h/__about__.py"\n',
      "packages/hatch/src/h/__about__.py": '__version__ = "1.0.0"\n',
      "packages/st/package.json": json({ name: "st-pkg", version: "1.0.0", private: true }),
      "packages/st/pyproject.toml":
        '[project]\nname = "st"\ndynamic = ["version"]\n[tool.setuptools.dynamic]\nversion = { attr = "st._version.__version__" }\n',
      "packages/st/src/st/_version.py": '__version__ = "1.0.0"\n',
    });
    const targets = (await loadWorkspace(root)).targets;
    expect(targets.map((t) => t.versionFiles)).toEqual([
      [path.join(root, "packages/hatch/src/h/__about__.py")],
      [path.join(root, "packages/st/src/st/_version.py")],
    ]);
  });

  it("skips a bridge folder's pyproject.toml of tool settings only and a virtual Cargo workspace manifest", async () => {
    const root = await writeTree({
      "package-lock.json": LOCK,
      "package.json": npmRoot(["packages/*"]),
      "packages/web/package.json": json({ name: "web", version: "1.0.0" }),
      "packages/web/pyproject.toml": "[tool.ruff]\nline-length = 100\n",
      "packages/rs/package.json": json({ name: "rs", version: "1.0.0" }),
      "packages/rs/Cargo.toml": '[workspace]\nmembers = ["crates/*"]\n',
    });
    expect((await loadWorkspace(root)).targets).toEqual([]);
  });

  it("treats a single-package repo's root as a bridge folder", async () => {
    const root = await writeTree({
      "package.json": json({ name: "solo", version: "2.0.0", private: true }),
      "pyproject.toml": '[project]\nname = "solo"\nversion = "2.0.0"\n',
    });
    const workspace = await loadWorkspace(root);
    expect(workspace.tool).toBe("root");
    expect(workspace.targets.map((t) => [t.relativeDir, t.source])).toEqual([[".", "solo"]]);
  });

  it("explains a folder without a package.json", async () => {
    const error = await loadError({ "README.md": "nothing here\n" });
    expect(error.message).toMatch(/cannot read the workspace/);
    expect(error.fix).toMatch(/package.json/);
  });

  it("names a versionFrom that is not a workspace package and lists close names", async () => {
    const error = await loadError({
      "package-lock.json": LOCK,
      "package.json": npmRoot(["packages/*"]),
      "packages/core/package.json": json({ name: "@event-forge/inbox-outbox-core", version: "1.0.0" }),
      "packages/typeorm/package.json": json({ name: "@event-forge/inbox-outbox-typeorm", version: "1.0.0" }),
      "python/pyproject.toml": '[project]\nname = "x"\nversion = "1.0.0"\n',
      ".changeset/polyglot.json": json({
        targets: [{ path: "python", versionFrom: "@event-forge/inbox-outbox-cor" }],
      }),
    });
    expect(error.file).toBe(".changeset/polyglot.json");
    expect(error.setting).toBe("targets[0].versionFrom");
    expect(error.message).toMatch(
      /"@event-forge\/inbox-outbox-cor", which is not a package of this workspace/,
    );
    expect(error.fix).toMatch(/did you mean "@event-forge\/inbox-outbox-core"/);
  });

  it("names a target path without a manifest", async () => {
    const error = await loadError({
      "package-lock.json": LOCK,
      "package.json": npmRoot(["packages/*"]),
      "packages/core/package.json": json({ name: "core", version: "1.0.0" }),
      "python/README.md": "hi\n",
      ".changeset/polyglot.json": json({ targets: [{ path: "python", versionFrom: "core" }] }),
    });
    expect(error.setting).toBe("targets[0].path");
    expect(error.message).toMatch(/holds no pyproject.toml, setup.py, setup.cfg or Cargo.toml/);
  });

  it("names a target path outside the repo", async () => {
    const error = await loadError({
      "package-lock.json": LOCK,
      "package.json": npmRoot(["packages/*"]),
      "packages/core/package.json": json({ name: "core", version: "1.0.0" }),
      ".changeset/polyglot.json": json({ targets: [{ path: "../elsewhere", versionFrom: "core" }] }),
    });
    expect(error.setting).toBe("targets[0].path");
    expect(error.message).toMatch(/is outside the repo/);
  });

  it("names a target path that does not exist", async () => {
    const error = await loadError({
      "package-lock.json": LOCK,
      "package.json": npmRoot(["packages/*"]),
      "packages/core/package.json": json({ name: "core", version: "1.0.0" }),
      ".changeset/polyglot.json": json({ targets: [{ path: "pyhton", versionFrom: "core" }] }),
    });
    expect(error.setting).toBe("targets[0].path");
    expect(error.message).toMatch(/is not a folder/);
  });

  it("reports broken TOML with file and line", async () => {
    const error = await loadError({
      "package-lock.json": LOCK,
      "package.json": npmRoot(["packages/*"]),
      "packages/py/package.json": json({ name: "py", version: "1.0.0" }),
      "packages/py/pyproject.toml": '[project]\nname = "py"\nversion = "1.0.0\n',
    });
    expect(error.file).toBe("packages/py/pyproject.toml");
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/^invalid TOML/);
    expect(error.fix).toMatch(/line 3/);
  });

  it("requires a Python project name", async () => {
    const error = await loadError({
      "package-lock.json": LOCK,
      "package.json": npmRoot(["packages/*"]),
      "packages/py/package.json": json({ name: "py", version: "1.0.0" }),
      "packages/py/pyproject.toml":
        '[build-system]\nrequires = ["hatchling"]\n\n[project]\nversion = "1.0.0"\n',
    });
    expect(error.file).toBe("packages/py/pyproject.toml");
    expect(error.setting).toBe("project.name");
  });

  it("requires a crate name", async () => {
    const error = await loadError({
      "package-lock.json": LOCK,
      "package.json": npmRoot(["packages/*"]),
      "packages/rs/package.json": json({ name: "rs", version: "1.0.0" }),
      "packages/rs/Cargo.toml": '[package]\nversion = "1.0.0"\n',
    });
    expect(error.file).toBe("packages/rs/Cargo.toml");
    expect(error.setting).toBe("package.name");
  });

  it("names a manifest that cannot be read (a folder in its place)", async () => {
    const error = await loadError({
      "package-lock.json": LOCK,
      "package.json": npmRoot(["packages/*"]),
      "packages/py/package.json": json({ name: "py", version: "1.0.0" }),
      "packages/py/pyproject.toml/.keep": "",
    });
    expect(error.file).toBe("packages/py/pyproject.toml");
    expect(error.message).toBe("packages/py/pyproject.toml is a folder, not a regular file");
    expect(error.fix).toMatch(/make packages\/py\/pyproject.toml a regular file inside the repo/);
  });

  it("names a hatch version path that does not exist", async () => {
    const error = await loadError({
      "package-lock.json": LOCK,
      "package.json": npmRoot(["packages/*"]),
      "packages/py/package.json": json({ name: "py", version: "1.0.0" }),
      "packages/py/pyproject.toml":
        '[project]\nname = "py"\ndynamic = ["version"]\n[tool.hatch.version]\npath = "py/__init__.py"\n',
    });
    expect(error.setting).toBe("tool.hatch.version.path");
    expect(error.fix).toMatch(/create py\/__init__.py/);
  });
});
