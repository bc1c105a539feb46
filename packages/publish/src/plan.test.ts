import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { NpmPackage } from "@polyglot-changesets/core";
import { type PypiServer, type Registry, startPypi, startRegistry } from "@polyglot-changesets/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspaceRepo, npmPackage, seedPackage } from "./__fixtures__/harness.js";
import { createPublishPlan, dependencyChunks } from "./plan.js";

let registry: Registry;
let pypi: PypiServer;

beforeAll(async () => {
  registry = await startRegistry();
  pypi = await startPypi();
  const token = await registry.createUser("maintainer");
  await seedPackage(registry, token, "@acme/p0", "1.0.0");
  await seedPackage(registry, token, "@acme/pre", "2.0.0-beta.0", "beta");
});

afterAll(async () => {
  await Promise.all([registry?.close(), pypi?.close()]);
});

function workspace(packages: Record<string, object>, extra: Record<string, string | object> = {}) {
  return createWorkspaceRepo({
    "package.json": { name: "root", private: true, workspaces: ["packages/*"] },
    "package-lock.json": { name: "root", lockfileVersion: 3, requires: true, packages: {} },
    ".npmrc": `registry=${registry.url}\n`,
    ".changeset/polyglot.json": { pypi: { index: pypi.url } },
    ...Object.fromEntries(
      Object.entries(packages).map(([dir, json]) => [`packages/${dir}/package.json`, json]),
    ),
    ...extra,
  });
}

describe("createPublishPlan", () => {
  it("looks up 30 packages with one in-process GET each and spawns no npm", async () => {
    const packages = Object.fromEntries(
      Array.from({ length: 30 }, (_, at) => [
        `p${at}`,
        npmPackage(`@acme/p${at}`, at === 0 ? "1.0.0" : "0.1.0"),
      ]),
    );
    const repo = await workspace(packages);
    const firstRequest = registry.requests.length;
    // No npm on PATH: a plan that spawned `npm info` would fail.
    const env = { PATH: "/nonexistent", HOME: repo.dir };
    const plan = await createPublishPlan({ cwd: repo.dir, env });

    const gets = registry.requests.slice(firstRequest).filter((request) => request.method === "GET");
    expect(gets).toHaveLength(30);
    expect(
      gets.every((request) =>
        String(request.headers.accept).startsWith("application/vnd.npm.install-v1+json"),
      ),
    ).toBe(true);
    expect(plan.alreadyPublished).toEqual(["@acme/p0@1.0.0"]);
    expect(plan.npm).toHaveLength(29);
    expect(plan.npm.every((release) => release.firstPublish && release.registry === registry.url)).toBe(true);
    // How fast against `changeset publish` is measured by the bench (scripts/bench), not here.
    await repo.cleanup();
  });

  it("follows publishConfig, access, pre mode, --tag and ignore", async () => {
    const repo = await workspace(
      {
        pre: npmPackage("@acme/pre", "2.0.0-beta.1", { publishConfig: { access: "public" } }),
        other: npmPackage("@other/x", "1.0.0", { publishConfig: { "@other:registry": registry.url } }),
        skipped: npmPackage("@acme/skipped", "1.0.0"),
        priv: { name: "private-one", version: "1.0.0", private: true },
      },
      {
        ".npmrc": "registry=http://127.0.0.1:9/unreachable/\n",
        ".changeset/config.json": {
          access: "restricted",
          ignore: ["@acme/skip*"],
          privatePackages: { version: true, tag: true },
        },
        ".changeset/pre.json": { mode: "pre", tag: "beta", initialVersions: {}, changesets: [] },
      },
    );
    await expect(createPublishPlan({ cwd: repo.dir, env: {} })).rejects.toThrow(
      /cannot look up @acme\/pre on http:\/\/127\.0\.0\.1:9\/unreachable\//,
    );
    await repo.write({
      "packages/pre/package.json": npmPackage("@acme/pre", "2.0.0-beta.1", {
        publishConfig: { access: "public", registry: registry.url },
      }),
    });

    const plan = await createPublishPlan({ cwd: repo.dir, env: {} });
    const releases = plan.npm.map(({ name, distTag, access, firstPublish }) => ({
      name,
      distTag,
      access,
      firstPublish,
    }));
    expect(releases.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      // Only prereleases of the pre tag were ever published: Changesets moves it to latest.
      { name: "@acme/pre", distTag: "latest", access: "public", firstPublish: false },
      { name: "@other/x", distTag: "beta", access: "restricted", firstPublish: true },
    ]);
    expect(plan.tagOnly).toEqual([
      { name: "private-one", version: "1.0.0", gitTag: "private-one@1.0.0", relativeDir: "packages/priv" },
    ]);

    const tagged = await createPublishPlan({ cwd: repo.dir, env: {}, distTag: "canary" });
    expect(tagged.npm.map((release) => release.distTag)).toEqual(["canary", "canary"]);
    await repo.cleanup();
  });

  it("hands PyPI targets over when the index cannot be reached, with a warning, instead of stopping", async () => {
    const repo = await workspace(
      { bridge: { name: "acme-bridge", version: "0.4.0", private: true } },
      {
        "packages/bridge/pyproject.toml": '[project]\nname = "Acme_Bridge"\nversion = "0.4.0"\n',
        ".changeset/polyglot.json": { pypi: { index: "http://127.0.0.1:9/unreachable" } },
      },
    );

    const plan = await createPublishPlan({ cwd: repo.dir, env: {} });

    expect(plan.pypi.map(({ name, version }) => `${name} ${version}`)).toEqual(["acme-bridge 0.4.0"]);
    expect(plan.pypiLookupErrors).toHaveLength(1);
    expect(plan.pypiLookupErrors[0]).toMatch(/cannot look up acme-bridge 0\.4\.0 on http:\/\/127\.0\.0\.1:9/);
    await repo.cleanup();
  });

  it("explains a registry that wants credentials for reads", async () => {
    const repo = await workspace({ a: npmPackage("@acme/auth-needed", "1.0.0") });
    registry.faults.add({ path: "/@acme%2fauth-needed", method: "GET", status: 401 });
    await expect(createPublishPlan({ cwd: repo.dir, env: {} })).rejects.toMatchObject({
      exitCode: 1,
      fix: expect.stringContaining("read token"),
    });
    await repo.cleanup();
  });
});

describe("createPublishPlan reads .changeset/ as Changesets does", () => {
  it("names a broken config.json or pre.json with the file and the fix, before any lookup", async () => {
    const repo = await workspace({ a: npmPackage("@acme/cfg", "1.0.0") });
    const plan = () => createPublishPlan({ cwd: repo.dir, env: {} });
    const cases: Array<[Record<string, string | object>, RegExp, string, RegExp]> = [
      [
        { ".changeset/config.json": { privatePackages: { version: false, tag: true } } },
        /privatePackages: Invalid combination/,
        ".changeset/config.json",
        /changeset status/,
      ],
      [
        { ".changeset/config.json": { access: "secret" } },
        /access/,
        ".changeset/config.json",
        /changeset status/,
      ],
      [{ ".changeset/config.json": "{ not json" }, /invalid JSON/, ".changeset/config.json", /JSON syntax/],
      [
        { ".changeset/config.json": {}, ".changeset/pre.json": '{"mode": "pre",' },
        /invalid JSON/,
        ".changeset/pre.json",
        /changeset pre enter/,
      ],
    ];
    const firstRequest = registry.requests.length;
    for (const [files, message, file, fix] of cases) {
      await repo.write(files);
      await expect(plan()).rejects.toMatchObject({
        code: "changesets-config-invalid",
        message: expect.stringMatching(message),
        file,
        fix: expect.stringMatching(fix),
      });
    }
    expect(registry.requests.length).toBe(firstRequest);
    await repo.cleanup();
  });

  it("reads a Changesets 2 pre.json without migrating it", async () => {
    const legacy = {
      mode: "pre",
      tag: "rc",
      initialVersions: { "@acme/legacy": "1.0.0" },
      changesets: ["x"],
    };
    const repo = await workspace(
      { a: npmPackage("@acme/legacy", "1.1.0-rc.0") },
      { ".changeset/pre.json": legacy, ".changeset/x.md": '---\n"@acme/legacy": minor\n---\n\nx\n' },
    );
    const plan = await createPublishPlan({ cwd: repo.dir, env: {} });
    expect(plan.npm.map((release) => release.distTag)).toEqual(["rc"]);
    expect(JSON.parse(readFileSync(path.join(repo.dir, ".changeset/pre.json"), "utf8"))).toEqual(legacy);
    expect(existsSync(path.join(repo.dir, ".changeset/x.md"))).toBe(true);
    await repo.cleanup();
  });
});

describe("dependencyChunks", () => {
  const pkg = (
    name: string,
    dependencies: Record<string, string> = {},
    devDependencies: Record<string, string> = {},
  ) => ({ name, packageJson: { name, dependencies, devDependencies } }) as unknown as NpmPackage;

  it("orders dependencies first, ignores dev dependencies and breaks cycles", () => {
    const packages = [
      pkg("app", { lib: "1" }),
      pkg("lib", { core: "1" }),
      pkg("core", {}, { app: "1" }),
      pkg("x", { y: "1" }),
      pkg("y", { x: "1" }),
    ];
    expect(dependencyChunks(packages, new Set(["app", "lib", "core"]))).toEqual([["core"], ["lib"], ["app"]]);
    expect(dependencyChunks(packages, new Set(["x", "y"]))).toEqual([["x", "y"]]);
  });
});
