// `polyglot-publish rollback` end to end: real git tags, the real npm deprecating / moving dist-tags /
// unpublishing on the testkit Verdaccio, the PyPI stand-in for the yank URL and file list.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { type PypiServer, type Registry, startPypi, startRegistry } from "@polyglot-changesets/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createWorkspaceRepo,
  jobFiles,
  npmPackage,
  registryVersions,
  runCliInProcess,
  seedPackage,
  stepEnv,
} from "../__fixtures__/harness.js";
import { parseCliArgs } from "../args.js";
import { parseTag } from "./release.js";

let registry: Registry;
let pypi: PypiServer;
let token: string;

beforeAll(async () => {
  registry = await startRegistry();
  pypi = await startPypi();
  token = await registry.createUser("maintainer");
  for (const version of ["1.0.0", "1.1.0"]) await seedPackage(registry, token, "@acme/rb", version);
  await seedPackage(registry, token, "@acme/rb-lib", "2.0.0");
  await seedPackage(registry, token, "@acme/gone", "1.0.0");
  await seedPackage(registry, token, "@acme/gone", "1.0.1");
  pypi.seed("acme-rb", "1.1.0", [
    { filename: "acme_rb-1.1.0-py3-none-any.whl", content: "wheel" },
    { filename: "acme_rb-1.1.0.tar.gz", content: "sdist" },
  ]);
});

afterAll(async () => {
  await Promise.all([registry?.close(), pypi?.close()]);
});

async function releasedRepo() {
  const repo = await createWorkspaceRepo({
    "package.json": { name: "root", private: true, workspaces: ["packages/*"] },
    "package-lock.json": { name: "root", lockfileVersion: 3, requires: true, packages: {} },
    ".npmrc": `registry=${registry.url}\n`,
    ".changeset/polyglot.json": {
      pypi: { index: pypi.url },
      targets: [{ path: "packages/py", versionFrom: "@acme/rb" }],
    },
    "packages/rb/package.json": npmPackage("@acme/rb", "1.1.0"),
    "packages/lib/package.json": npmPackage("@acme/rb-lib", "2.0.0"),
    "packages/gone/package.json": npmPackage("@acme/gone", "1.0.1"),
    "packages/py/pyproject.toml": '[project]\nname = "acme-rb"\nversion = "1.1.0"\n',
  });
  for (const tag of ["@acme/rb@1.1.0", "@acme/rb-lib@2.0.0"]) await repo.git("tag", tag, "-m", tag);
  return repo;
}

/** A user npmrc with the maintainer's token, as `npm login` leaves it. */
function loggedIn() {
  const files = jobFiles();
  writeFileSync(path.join(files.home, ".npmrc"), `${registry.npmrcKey}:_authToken=${token}\n`);
  return files;
}

async function packument(name: string) {
  const response = await fetch(`${registry.url}${name.replace("/", "%2f")}`);
  return (await response.json()) as {
    "dist-tags": Record<string, string>;
    versions: Record<string, { deprecated?: string }>;
  };
}

describe("polyglot-publish rollback", () => {
  it("--dry-run prints the plan of the whole release (every package tagged on that commit) and changes nothing", async () => {
    const repo = await releasedRepo();
    const files = jobFiles();
    const run = await runCliInProcess(
      ["rollback", "@acme/rb@1.1.0", "--dry-run"],
      repo.dir,
      stepEnv(files),
      files,
    );
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      "rollback of @acme/rb-lib@2.0.0, @acme/rb@1.1.0 (dry run: nothing is changed)",
    );
    expect(run.stdout).toContain(`$ npm dist-tag add @acme/rb@1.0.0 latest --registry=${registry.url}`);
    expect(run.stdout).toContain(
      `$ npm deprecate @acme/rb@1.1.0 '@acme/rb@1.1.0 was rolled back: use 1.0.0 or a later fixed version'`,
    );
    expect(run.stdout).toContain("$ npm deprecate @acme/rb-lib@2.0.0");
    expect(run.stdout).toContain(`${pypi.url.replace(/\/$/, "")}/manage/project/acme-rb/release/1.1.0/`);
    expect(run.stdout).toContain("files: acme_rb-1.1.0-py3-none-any.whl, acme_rb-1.1.0.tar.gz");
    expect(run.stdout).toContain("the OIDC token of trusted publishing can only publish");
    expect(run.stdout).toContain("release @acme/rb-lib@2.0.1, @acme/rb@1.1.1");
    expect(run.summary).toContain("### polyglot-publish rollback (dry run)");
    const after = await packument("@acme/rb");
    expect(after["dist-tags"].latest).toBe("1.1.0");
    expect(after.versions["1.1.0"]?.deprecated).toBeUndefined();
  });

  it("refuses to run without an npm login or token, before changing anything", async () => {
    const repo = await releasedRepo();
    const files = jobFiles();
    const run = await runCliInProcess(["rollback", "1.1.0"], repo.dir, stepEnv(files), files);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("cannot use the OIDC token of trusted publishing");
    expect(run.stderr).toContain("npm login");
    expect((await packument("@acme/rb")).versions["1.1.0"]?.deprecated).toBeUndefined();
  });

  it("deprecates on the registry and moves latest back, with the given message", async () => {
    const repo = await releasedRepo();
    const files = loggedIn();
    const run = await runCliInProcess(
      ["rollback", "1.1.0", "--message", "broken entry point, use 1.0.0", "--json"],
      repo.dir,
      stepEnv(files),
      files,
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const after = await packument("@acme/rb");
    expect(after.versions["1.1.0"]?.deprecated).toBe("broken entry point, use 1.0.0");
    expect(after["dist-tags"].latest).toBe("1.0.0");
    // A version argument picks the tags of that version only: @acme/rb-lib@2.0.0 is left alone.
    expect((await packument("@acme/rb-lib")).versions["2.0.0"]?.deprecated).toBeUndefined();
    const json = JSON.parse(run.stdout) as {
      steps: { action: string; outcome: string; ecosystem: string }[];
    };
    expect(json.steps.map((step) => `${step.ecosystem} ${step.action} ${step.outcome}`)).toEqual([
      "npm dist-tag done",
      "npm deprecate done",
      "PyPI yank manual",
    ]);
    expect(run.everything).not.toContain(token);
  });

  it("--unpublish removes a version published within 72 hours, and deprecates an only version instead", async () => {
    const repo = await releasedRepo();
    await repo.write({ "later.txt": "a later release commit\n" });
    await repo.commit("release @acme/gone 1.0.1");
    await repo.git("tag", "@acme/gone@1.0.1", "-m", "gone");
    const files = loggedIn();
    const run = await runCliInProcess(
      ["rollback", "@acme/gone@1.0.1", "--unpublish"],
      repo.dir,
      stepEnv(files),
      files,
    );
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain("unpublish @acme/gone@1.0.1 (published 0 h ago, within npm's 72 h)");
    expect(run.stdout).toContain("rollback of @acme/gone@1.0.1:");
    expect(await registryVersions(registry, "@acme/gone")).toEqual(["1.0.0"]);

    const only = await runCliInProcess(
      ["rollback", "@acme/rb-lib@2.0.0", "--unpublish"],
      repo.dir,
      stepEnv(files),
      files,
    );
    expect(only.exitCode, only.stdout + only.stderr).toBe(0);
    expect(only.stdout).toContain("not unpublished: it is the only version");
    expect(await registryVersions(registry, "@acme/rb-lib")).toEqual(["2.0.0"]);
    expect((await packument("@acme/rb-lib")).versions["2.0.0"]?.deprecated).toBe(
      "@acme/rb-lib@2.0.0 was rolled back",
    );
  });

  it("names the closest tag when the release does not exist, and stops when no registry holds it", async () => {
    const repo = await releasedRepo();
    const files = jobFiles();
    const typo = await runCliInProcess(
      ["rollback", "@acme/rbx@1.1.0", "--dry-run"],
      repo.dir,
      stepEnv(files),
      files,
    );
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr).toContain('no release "@acme/rbx@1.1.0"');
    expect(typo.stderr).toContain("e.g. @acme/rb@1.1.0");
    const missing = await runCliInProcess(
      ["rollback", "@acme/rb@1.1.9", "--dry-run"],
      repo.dir,
      stepEnv(files),
      files,
    );
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("nothing to roll back: no registry holds @acme/rb@1.1.9");
  });
});

describe("rollback arguments and tags", () => {
  it("reads the target, --message, --dry-run and --unpublish; refuses a missing target", () => {
    expect(parseCliArgs(["rollback", "v1.2.3", "--message", "bad", "--dry-run", "--cwd", "/r"])).toEqual({
      command: "rollback",
      target: "v1.2.3",
      message: "bad",
      dryRun: true,
      unpublish: false,
      json: false,
      cwd: "/r",
    });
    expect(() => parseCliArgs(["rollback"])).toThrow(/needs the version or git tag/);
    expect(() => parseCliArgs(["rollback", "1.0.0", "--message", "a\nb"])).toThrow(/one non-empty line/);
  });

  it("parses Changesets' tag shapes", () => {
    expect(parseTag("@acme/rb@1.1.0")).toEqual({ name: "@acme/rb", version: "1.1.0" });
    expect(parseTag("acme-py@0.3.0-rc.1")).toEqual({ name: "acme-py", version: "0.3.0-rc.1" });
    expect(parseTag("v2.0.0")).toEqual({ version: "2.0.0" });
    expect(parseTag("release-candidate")).toBeUndefined();
  });
});
