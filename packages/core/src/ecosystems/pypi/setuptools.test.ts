import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PolyglotError } from "../../errors.js";
import { planSync } from "../../plan/sync.js";
import { loadWorkspace } from "../../workspace.js";
import { FileCache } from "../../workspace-files.js";

type FileTree = Record<string, string>;
const roots: string[] = [];
const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

afterEach(async () => {
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })));
});

/** livekit/agents' shape: a private package.json, a pyproject.toml with only [build-system], a setup.py. */
const BUILD_SYSTEM_ONLY =
  '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n';

async function plan(folder: FileTree, config?: object) {
  const root = await mkdtemp(path.join(tmpdir(), "polyglot-setuptools-"));
  roots.push(root);
  const tree: FileTree = {
    "package.json": json({ name: "root", private: true, workspaces: ["plugins/*"] }),
    "package-lock.json": json({ name: "root", lockfileVersion: 3, requires: true, packages: {} }),
    "plugins/foo/package.json": json({ name: "livekit-plugins-foo", version: "1.2.0", private: true }),
    "plugins/foo/pyproject.toml": BUILD_SYSTEM_ONLY,
    ...(config ? { ".changeset/polyglot.json": json(config) } : {}),
    ...Object.fromEntries(Object.entries(folder).map(([file, text]) => [`plugins/foo/${file}`, text])),
  };
  for (const [file, text] of Object.entries(tree)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  const files = new FileCache();
  const workspace = await loadWorkspace(root, { files });
  const result = await planSync(workspace, new Map([["livekit-plugins-foo", "1.3.0-rc.1"]]), { files });
  return {
    targets: workspace.targets.map((target) => `${target.relativeDir} ${target.name}`),
    edits: result.files.flatMap((file) =>
      file.edits.map(({ file: name, field, from, to }) => `${name} ${field} ${from} -> ${to}`),
    ),
    after: Object.fromEntries(result.files.map((file) => [file.relativeFile, file.after])),
  };
}

async function planError(folder: FileTree, config?: object): Promise<PolyglotError> {
  const error = await plan(folder, config).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(PolyglotError);
  return error as PolyglotError;
}

const setupPy = (version: string) =>
  `from setuptools import setup\n\nsetup(\n    name="livekit-plugins-foo",\n    version=${version},\n)\n`;

describe("setuptools projects (setup.py / setup.cfg, no [project])", () => {
  it("writes the literal version of setup()", async () => {
    const result = await plan({ "setup.py": setupPy('"1.2.0"') });
    expect(result.targets).toEqual(["plugins/foo livekit-plugins-foo"]);
    expect(result.edits).toEqual(["plugins/foo/setup.py setup().version 1.2.0 -> 1.3.0rc1"]);
    expect(result.after["plugins/foo/setup.py"]).toBe(setupPy('"1.3.0rc1"'));
  });

  it("writes setup.cfg's [metadata] version, the name read from it", async () => {
    const cfg = "[metadata]\nname = livekit-plugins-foo\nversion = 1.2.0\n";
    const result = await plan({ "setup.cfg": cfg, "setup.py": "import setuptools\nsetuptools.setup()\n" });
    expect(result.edits).toEqual(["plugins/foo/setup.cfg metadata.version 1.2.0 -> 1.3.0rc1"]);
    expect(result.after["plugins/foo/setup.cfg"]).toBe(cfg.replace("1.2.0", "1.3.0rc1"));
  });

  it("follows setup.cfg's attr: to the module and file: to the version file", async () => {
    const attr = await plan({
      "setup.cfg":
        "[metadata]\nname = foo\nversion = attr: foo.about.VERSION\n[options]\npackage_dir =\n    =src\n",
      "src/foo/about.py": 'VERSION = "1.2.0"\n',
    });
    expect(attr.edits).toEqual(["plugins/foo/src/foo/about.py VERSION 1.2.0 -> 1.3.0rc1"]);
    const file = await plan({
      "setup.cfg": "[metadata]\nname = foo\nversion = file: VERSION.txt\n",
      "VERSION.txt": "1.2.0\n",
    });
    expect(file.after["plugins/foo/VERSION.txt"]).toBe("1.3.0rc1\n");
  });

  it("[project] with a dynamic version nothing in pyproject.toml locates: setup.py's, or setup.cfg's file:", async () => {
    const pyproject = `${BUILD_SYSTEM_ONLY}\n[project]\nname = "livekit-plugins-foo"\ndynamic = ["version"]\n`;
    const fromSetupPy = await plan({ "pyproject.toml": pyproject, "setup.py": setupPy('"1.2.0"') });
    expect(fromSetupPy.edits).toEqual(["plugins/foo/setup.py setup().version 1.2.0 -> 1.3.0rc1"]);
    const fromFile = await plan({
      "pyproject.toml": pyproject,
      "setup.cfg": "[metadata]\nversion = file: VERSION\n",
      VERSION: "1.2.0\n",
    });
    expect(fromFile.after["plugins/foo/VERSION"]).toBe("1.3.0rc1\n");
  });

  it("a computed setup() version with versionFiles in polyglot.json writes the version file", async () => {
    const result = await plan(
      { "setup.py": setupPy('about["__version__"]'), "livekit/foo/version.py": '__version__ = "1.2.0"\n' },
      {
        targets: [
          {
            path: "plugins/foo",
            versionFrom: "livekit-plugins-foo",
            versionFiles: ["livekit/foo/version.py"],
          },
        ],
      },
    );
    expect(result.edits).toEqual(["plugins/foo/livekit/foo/version.py __version__ 1.2.0 -> 1.3.0rc1"]);
  });

  it("a computed setup() version without versionFiles is an error naming the folder and versionFiles, not [project]", async () => {
    const error = await planError({ "setup.py": setupPy('about["__version__"]') });
    expect(error.message).toMatch(
      /plugins\/foo: setup\.py computes its version \(version=about\["__version__"\]\)/,
    );
    expect(error.file).toBe("plugins/foo/setup.py");
    expect(error.line).toBe(5);
    expect(error.fix).toMatch(/"path": "plugins\/foo", "versionFrom": "livekit-plugins-foo", "versionFiles"/);
    expect(error.fix).not.toMatch(/\[project\]/);
  });

  it("no version anywhere is an error too; a missing name is an error naming setup.cfg", async () => {
    const none = await planError({ "setup.py": "from setuptools import setup\nsetup(name='foo')\n" });
    expect(none.message).toMatch(/neither setup\.py nor setup\.cfg holds a version/);
    const nameless = await planError({ "setup.cfg": "[metadata]\nversion = 1.2.0\n" });
    expect(nameless.file).toBe("plugins/foo/setup.cfg");
    expect(nameless.fix).toMatch(/name = <project> under \[metadata\]/);
  });
});
