import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type PypiServer, startPypi } from "@polyglot-changesets/testkit";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspaceRepo, jobFiles, runCliInProcess, stepEnv } from "./__fixtures__/harness.js";

let pypi: PypiServer;

beforeAll(async () => {
  pypi = await startPypi();
  pypi.seed("acme-core", "2.0.0rc1");
});

afterAll(() => pypi?.close());

/** Two follow targets (one with a prerelease mapped to PEP 440) and a bridge target; no npm registry involved. */
function repoWithTargets() {
  return createWorkspaceRepo({
    "package.json": { name: "root", private: true, workspaces: ["packages/*"] },
    "package-lock.json": { name: "root", lockfileVersion: 3, requires: true, packages: {} },
    ".changeset/polyglot.json": {
      targets: [{ path: "python/core", versionFrom: "@acme/core" }],
      pep440: { next: "rc" },
      pypi: { index: "http://127.0.0.1:9/unused" },
    },
    "packages/core/package.json": { name: "@acme/core", version: "2.0.0-next.1" },
    "packages/bridge/package.json": { name: "acme-bridge", version: "0.4.0", private: true },
    "packages/bridge/pyproject.toml": '[project]\nname = "Acme_Bridge"\nversion = "0.4.0"\n',
    "python/core/pyproject.toml": '[project]\nname = "Acme.Core"\nversion = "2.0.0rc1"\n',
  });
}

describe("polyglot-publish pypi-check", () => {
  it("checks PEP 503 names and canonical versions against the index and writes what is missing", async () => {
    const repo = await repoWithTargets();
    const files = jobFiles();
    const run = await runCliInProcess(
      ["pypi-check", "--index", pypi.url, "--json"],
      repo.dir,
      stepEnv(files),
      files,
    );

    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain("acme-core 2.0.0rc1 (python/core): already on the index");
    expect(run.stderr).toContain("acme-bridge 0.4.0 (packages/bridge): not on the index yet");
    const missing = [
      { name: "acme-bridge", version: "0.4.0", path: "packages/bridge", tag: "acme-bridge@0.4.0" },
    ];
    expect(run.outputs).toEqual({ pypi: "true", "pypi-packages": JSON.stringify(missing) });
    expect(JSON.parse(run.stdout)).toMatchObject({ pypi: true, "pypi-packages": missing });
    expect(pypi.requests.map((request) => request.path)).toEqual(
      expect.arrayContaining(["/pypi/acme-core/2.0.0rc1/json", "/pypi/acme-bridge/0.4.0/json"]),
    );
    await repo.cleanup();
  });

  it("--fail-if-exists exits 1 naming the version already there", async () => {
    const repo = await repoWithTargets();
    const files = jobFiles();
    const run = await runCliInProcess(
      ["pypi-check", "--index", pypi.url, "--fail-if-exists"],
      repo.dir,
      stepEnv(files),
      files,
    );
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/already on .*acme-core 2\.0\.0rc1[\s\S]*fix: bump the source package/);
    await repo.cleanup();
  });

  it("an index that cannot answer is a failed check (exit 1) naming pypi.index", async () => {
    const repo = await repoWithTargets();
    const files = jobFiles();
    const run = await runCliInProcess(["pypi-check"], repo.dir, stepEnv(files), files);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(
      /cannot look up acme-\w+ .* on http:\/\/127\.0\.0\.1:9\/unused[\s\S]*\[pypi\.index\][\s\S]*fix:/,
    );
    await repo.cleanup();
  });

  it("the publish of a bridge-only repo tags without packing and hands the target to the PyPI job", async () => {
    const repo = await repoWithTargets();
    await repo.write({ ".changeset/polyglot.json": { pep440: { next: "rc" }, pypi: { index: pypi.url } } });
    await repo.write({
      "packages/core/package.json": { name: "@acme/core", version: "2.0.0-next.1", private: true },
    });
    await repo.commit("bridge only");
    const files = jobFiles();

    const run = await runCliInProcess([], repo.dir, stepEnv(files), files);

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).not.toContain("Packed packages");
    expect((await repo.git("tag", "--list")).split("\n").sort()).toEqual([
      "@acme/core@2.0.0-next.1",
      "acme-bridge@0.4.0",
    ]);
    expect(JSON.parse(run.outputs["published-packages"] ?? "")).toHaveLength(2);
    expect(JSON.parse(run.outputs["pypi-packages"] ?? "")).toEqual([
      { name: "acme-bridge", version: "0.4.0", path: "packages/bridge", tag: "acme-bridge@0.4.0" },
    ]);
    await repo.cleanup();
  });

  it("counts tags that exist only on origin (a shallow CI checkout has none locally)", async () => {
    const repo = await repoWithTargets();
    await repo.write({ ".changeset/polyglot.json": { pypi: { index: pypi.url } } });
    await repo.write({
      "packages/core/package.json": { name: "@acme/core", version: "2.0.0-next.1", private: true },
    });
    await repo.git("tag", "@acme/core@2.0.0-next.1");
    await repo.commit("bridge only");
    const origin = mkdtempSync(path.join(tmpdir(), "origin-"));
    await execa("git", ["init", "-q", "--bare", origin]);
    await repo.git("remote", "add", "origin", origin);
    await repo.git("tag", "acme-bridge@0.4.0");
    await repo.git("push", "-q", "origin", "acme-bridge@0.4.0");
    await repo.git("tag", "-d", "acme-bridge@0.4.0");
    const files = jobFiles();

    const run = await runCliInProcess(["--dry-run", "--json"], repo.dir, stepEnv(files), files);

    expect(run.exitCode, run.stderr).toBe(0);
    const rows = JSON.parse(run.stdout).rows as Array<{ package: string; status: string }>;
    expect(rows).toEqual([
      expect.objectContaining({ package: "acme-bridge", status: "would hand to the PyPI job" }),
    ]);
    await repo.cleanup();
  });
});
