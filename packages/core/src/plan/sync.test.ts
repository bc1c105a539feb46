import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PolyglotError } from "../errors.js";
import { loadWorkspace, type Workspace } from "../workspace.js";
import { checkChangelogInputs, planChangelogs } from "../workspace-changelog.js";
import { FileCache } from "../workspace-files.js";
import { planSync } from "./sync.js";

type FileTree = Record<string, string>;
const roots: string[] = [];
const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

async function workspaceOf(
  files: FileTree,
): Promise<{ root: string; workspace: Workspace; files: FileCache }> {
  const root = await mkdtemp(path.join(tmpdir(), "polyglot-plan-"));
  roots.push(root);
  const tree: FileTree = {
    "package.json": json({ name: "root", private: true, workspaces: ["packages/*"] }),
    "package-lock.json": json({ name: "root", lockfileVersion: 3, requires: true, packages: {} }),
    ...files,
  };
  for (const [file, text] of Object.entries(tree)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  const cache = new FileCache();
  return { root, workspace: await loadWorkspace(root, { files: cache }), files: cache };
}

afterEach(async () => {
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })));
});

const source = (version: string) => ({
  "packages/core/package.json": json({ name: "core", version }),
});

describe("planSync", () => {
  it("plans every edit in memory, in canonical PEP 440, and writes nothing", async () => {
    const pyproject = '[project]\nname = "acme"\nversion = "1.2.0"\n';
    const { root, workspace, files } = await workspaceOf({
      ...source("1.2.0"),
      "py/pyproject.toml": pyproject,
      "py/acme/__init__.py": '__version__ = "1.2.0"\n',
      ".changeset/polyglot.json": json({
        targets: [{ path: "py", versionFrom: "core", versionFiles: ["acme/__init__.py"] }],
      }),
    });
    const plan = await planSync(workspace, new Map([["core", "1.3.0-rc.1"]]), { files });
    expect(plan.files.map((file) => [file.relativeFile, file.edits, file.targets])).toEqual([
      [
        "py/acme/__init__.py",
        [{ file: "py/acme/__init__.py", field: "__version__", from: "1.2.0", to: "1.3.0rc1" }],
        ["py (pypi acme)"],
      ],
      [
        "py/pyproject.toml",
        [{ file: "py/pyproject.toml", field: "project.version", from: "1.2.0", to: "1.3.0rc1" }],
        ["py (pypi acme)"],
      ],
    ]);
    expect([...plan.versions.values()]).toEqual(["1.3.0rc1"]);
    expect(await readFile(path.join(root, "py/pyproject.toml"), "utf8")).toBe(pyproject);
  });

  it("warns about a moved specifier in a target whose own version stays, and not in one being released", async () => {
    const { workspace, files } = await workspaceOf({
      ...source("1.2.0"),
      "packages/other/package.json": json({ name: "other", version: "2.0.0" }),
      "a/pyproject.toml": '[project]\nname = "acme-a"\nversion = "1.2.0"\n',
      "b/pyproject.toml": '[project]\nname = "acme-b"\nversion = "2.0.0"\ndependencies = ["acme-a==1.2.0"]\n',
      "c/pyproject.toml": '[project]\nname = "acme-c"\nversion = "1.2.0"\ndependencies = ["acme-a==1.2.0"]\n',
      ".changeset/polyglot.json": json({
        targets: [
          { path: "a", versionFrom: "core" },
          { path: "b", versionFrom: "other" },
          { path: "c", versionFrom: "core" },
        ],
      }),
    });
    const plan = await planSync(workspace, new Map([["core", "1.3.0"]]), { files });
    expect(plan.warnings).toEqual([
      'b (pypi acme-b) is not being released (its version stays 2.0.0), but its dependency specifier "acme-a==1.2.0" -> "acme-a==1.3.0" moved in b/pyproject.toml, so no published build carries the change (fix: add a changeset for other, e.g. `changeset add`, and release it)',
    ]);
  });

  it("does not warn about a moved specifier in a released target whose version lives in a version file", async () => {
    const { workspace, files } = await workspaceOf({
      ...source("1.2.0"),
      "a/pyproject.toml": '[project]\nname = "acme-a"\nversion = "1.2.0"\n',
      "b/pyproject.toml":
        '[project]\nname = "acme-b"\ndynamic = ["version"]\ndependencies = ["acme-a==1.2.0"]\n[tool.hatch.version]\npath = "b/__init__.py"\n',
      "b/b/__init__.py": '__version__ = "1.2.0"\n',
      ".changeset/polyglot.json": json({
        targets: [
          { path: "a", versionFrom: "core" },
          { path: "b", versionFrom: "core" },
        ],
      }),
    });
    const plan = await planSync(workspace, new Map([["core", "1.3.0"]]), { files });
    expect(plan.files.map((file) => file.relativeFile)).toEqual([
      "a/pyproject.toml",
      "b/b/__init__.py",
      "b/pyproject.toml",
    ]);
    expect(plan.warnings).toEqual([]);
  });

  it("uses the package.json version of a source missing from the map, and plans nothing when in step", async () => {
    const { workspace, files } = await workspaceOf({
      ...source("2.0.0"),
      "py/pyproject.toml": '[project]\nname = "acme"\nversion = "2.0.0"\n',
      ".changeset/polyglot.json": json({ targets: [{ path: "py", versionFrom: "core" }] }),
    });
    expect((await planSync(workspace, new Map(), { files })).files).toEqual([]);
  });

  it("writes a setuptools `file` version source as the whole file and a Poetry-only version in place", async () => {
    const { workspace, files } = await workspaceOf({
      ...source("1.0.0"),
      "st/pyproject.toml":
        '[project]\nname = "st"\ndynamic = ["version"]\n[tool.setuptools.dynamic]\nversion = { file = "VERSION" }\n',
      "st/VERSION": "0.9.0\n",
      "poetry/pyproject.toml": '[tool.poetry]\nname = "po"\nversion = "0.9.0"\n',
      ".changeset/polyglot.json": json({
        targets: [
          { path: "st", versionFrom: "core" },
          { path: "poetry", versionFrom: "core" },
        ],
      }),
    });
    const plan = await planSync(workspace, new Map(), { files });
    expect(Object.fromEntries(plan.files.map((file) => [file.relativeFile, file.after]))).toEqual({
      "poetry/pyproject.toml": '[tool.poetry]\nname = "po"\nversion = "1.0.0"\n',
      "st/VERSION": "1.0.0\n",
    });
  });

  it("names the pep440 setting for a prerelease tag PEP 440 does not know", async () => {
    const { workspace, files } = await workspaceOf({
      ...source("1.0.0"),
      "py/pyproject.toml": '[project]\nname = "acme"\nversion = "1.0.0"\n',
      ".changeset/polyglot.json": json({ targets: [{ path: "py", versionFrom: "core" }] }),
    });
    const error = await planSync(workspace, new Map([["core", "1.1.0-next.0"]]), { files }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PolyglotError);
    expect((error as PolyglotError).message).toMatch(
      /^acme \(py\) follows core 1\.1\.0-next\.0: prerelease tag "next"/,
    );
    expect((error as PolyglotError).setting).toBe("pep440.next");
    expect((error as PolyglotError).file).toBe(".changeset/polyglot.json");
  });

  it("explains a version computed by version control (hatch-vcs), which no edit can move", async () => {
    const { workspace, files } = await workspaceOf({
      ...source("1.0.0"),
      "py/pyproject.toml":
        '[project]\nname = "acme"\ndynamic = ["version"]\n[tool.hatch.version]\nsource = "vcs"\n',
      ".changeset/polyglot.json": json({ targets: [{ path: "py", versionFrom: "core" }] }),
    });
    const error = (await planSync(workspace, new Map(), { files }).catch((e: unknown) => e)) as PolyglotError;
    expect(error.file).toBe("py/pyproject.toml");
    expect(error.message).toMatch(/hatch-vcs computes it; tool\.hatch\.version\.source/);
    expect(error.fix).toMatch(/"versionFiles"/);
  });

  it("names a configured version file that does not exist", async () => {
    const { workspace, files } = await workspaceOf({
      ...source("1.0.0"),
      "py/pyproject.toml": '[project]\nname = "acme"\nversion = "0.1.0"\n',
      ".changeset/polyglot.json": json({
        targets: [{ path: "py", versionFrom: "core", versionFiles: ["acme/_version.py"] }],
      }),
    });
    const error = (await planSync(workspace, new Map(), { files }).catch((e: unknown) => e)) as PolyglotError;
    expect(error.file).toBe("py/acme/_version.py");
    expect(error.setting).toBe("targets[0].versionFiles");
  });

  it("needs a version in a pyproject.toml that is not dynamic", async () => {
    const { workspace, files } = await workspaceOf({
      ...source("1.0.0"),
      "py/pyproject.toml": '[project]\nname = "acme"\n',
      ".changeset/polyglot.json": json({ targets: [{ path: "py", versionFrom: "core" }] }),
    });
    const error = (await planSync(workspace, new Map(), { files }).catch((e: unknown) => e)) as PolyglotError;
    expect(error.file).toBe("py/pyproject.toml");
    expect(error.message).toBe("pyproject.toml has no version to sync");
    expect(error.fix).toMatch(/add version = "0\.0\.0" under \[project\]/);
  });

  it("needs [workspace.package].version where a crate inherits its version", async () => {
    const { workspace, files } = await workspaceOf({
      ...source("1.0.0"),
      "Cargo.toml": '[workspace]\nmembers = ["rs"]\n',
      "rs/Cargo.toml": '[package]\nname = "rs"\nversion.workspace = true\n',
      ".changeset/polyglot.json": json({ targets: [{ path: "rs", versionFrom: "core" }] }),
    });
    const error = (await planSync(workspace, new Map(), { files }).catch((e: unknown) => e)) as PolyglotError;
    expect(error.file).toBe("rs/Cargo.toml");
    expect(error.message).toMatch(
      /rs has version\.workspace = true but Cargo\.toml has no \[workspace\.package\]\.version/,
    );
    expect(error.fix).toMatch(/add version = "\.\.\." under \[workspace\.package\] in Cargo\.toml/);
  });

  it("needs a version field in a Cargo.toml", async () => {
    const { workspace, files } = await workspaceOf({
      ...source("1.0.0"),
      "rs/Cargo.toml": '[package]\nname = "rs"\n',
      ".changeset/polyglot.json": json({ targets: [{ path: "rs", versionFrom: "core" }] }),
    });
    const error = (await planSync(workspace, new Map(), { files }).catch((e: unknown) => e)) as PolyglotError;
    expect(error.file).toBe("rs/Cargo.toml");
    expect(error.setting).toBe("package.version");
  });
});

describe("planChangelogs", () => {
  it("mirrors the source section under the target's version spelling, once", async () => {
    const { workspace, files } = await workspaceOf({
      ...source("1.3.0-beta.0"),
      "packages/core/CHANGELOG.md": "# core\n\n## 1.3.0-beta.0\n\n### Minor Changes\n\n- abc1234: Relay.\n",
      "py/pyproject.toml": '[project]\nname = "acme"\nversion = "1.2.0"\n',
      ".changeset/polyglot.json": json({ targets: [{ path: "py", versionFrom: "core", changelog: true }] }),
    });
    await checkChangelogInputs(workspace, { files });
    const plan = await planSync(workspace, new Map(), { files });
    const [mirrored] = await planChangelogs(workspace, plan, { files });
    expect(mirrored?.relativeFile).toBe("py/CHANGELOG.md");
    expect(mirrored?.before).toBeUndefined();
    expect(mirrored?.after).toBe("# acme\n\n## 1.3.0b0\n\n### Minor Changes\n\n- abc1234: Relay.\n");
  });
});
