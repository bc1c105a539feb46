import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  ensureTool,
  type GithubApi,
  type IdTokenServer,
  type PypiServer,
  type Registry,
  startGithubApi,
} from "@polyglot-changesets/testkit";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createWorkspaceRepo,
  jobFiles,
  npmPackage,
  type PublishServers,
  placeholderNpmrc,
  REPOSITORY,
  registryVersions,
  runCliInProcess,
  startPublishServers,
  stepEnv,
} from "./__fixtures__/harness.js";
import { bundledNpm } from "./npm-cli.js";

// End to end on a pnpm 10 workspace (pnpm packs, resolving workspace:, and hands the publish to npm), the PyPI
// trigger by workflow_dispatch, and the provenance switch.
let ids: IdTokenServer;
let registry: Registry;
let pypi: PypiServer;
let github: GithubApi;
let pnpmBin: string;
let servers: PublishServers;
const CANARY = "npm_CANARYpnpmToken9876543210fedcba";

beforeAll(async () => {
  servers = await startPublishServers(["@acme/p-core", "@acme/p-app", "@acme/prov"]);
  ({ ids, registry, pypi } = servers);
  github = await startGithubApi();
  pnpmBin = await ensureTool("pnpm@10.34.8");
}, 180_000);

afterAll(async () => {
  await Promise.all([servers?.close(), github?.close()]);
});

async function pnpmWorkspace(files: Record<string, string | object>) {
  const repo = await createWorkspaceRepo({
    "package.json": { name: "root", private: true, packageManager: "pnpm@10.34.8" },
    "pnpm-workspace.yaml": "packages:\n  - packages/*\n",
    ".npmrc": placeholderNpmrc(registry),
    ...files,
  });
  await execa(path.join(pnpmBin, "pnpm"), ["install", "--offline", "--frozen-lockfile=false"], {
    cwd: repo.dir,
    env: stepEnv(jobFiles(), {}, [pnpmBin]),
    extendEnv: false,
    stdin: "ignore",
  });
  // The lockfile is committed, as in a real repo (the clean-tree gate refuses an untracked one).
  await repo.commit("pnpm install");
  return repo;
}

describe("polyglot-publish on a pnpm workspace", () => {
  it("publishes through OIDC with no token (stale NODE_AUTH_TOKEN and .npmrc placeholder present) and dispatches the PyPI workflow", async () => {
    const repo = await pnpmWorkspace({
      ".changeset/polyglot.json": {
        targets: [{ path: "python", versionFrom: "@acme/p-core" }],
        pypi: { index: pypi.url, workflow: "publish-pypi.yml" },
      },
      "packages/core/package.json": npmPackage("@acme/p-core", "1.1.0", {
        publishConfig: { access: "public" },
      }),
      "packages/app/package.json": npmPackage("@acme/p-app", "1.1.0", {
        publishConfig: { access: "public" },
        dependencies: { "@acme/p-core": "workspace:^" },
      }),
      "python/pyproject.toml": '[project]\nname = "Acme.Core"\nversion = "1.1.0"\n',
    });
    github.addWorkflow({ repo: REPOSITORY, file: "publish-pypi.yml", inputs: ["packages", "tag"] });
    const files = jobFiles();
    const env = stepEnv(
      files,
      { ...ids.githubEnv(), ...github.env("ghs_dispatchToken"), NODE_AUTH_TOKEN: CANARY },
      [pnpmBin],
    );
    const exchangesBefore = registry.exchanges.length;

    const run = await runCliInProcess(
      ["--no-provenance", "--pypi-trigger", "dispatch"],
      repo.dir,
      env,
      files,
    );

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const published = registry.exchanges.slice(exchangesBefore).filter((exchange) => exchange.status === 201);
    expect(published.map((exchange) => exchange.package).sort()).toEqual([
      "@acme/p-app",
      "@acme/p-app",
      "@acme/p-core",
      "@acme/p-core",
    ]);
    expect(await registryVersions(registry, "@acme/p-core")).toEqual(["1.0.0", "1.1.0"]);
    const app = (await (await fetch(`${registry.url}@acme%2fp-app`)).json()) as {
      versions: Record<string, { dependencies?: Record<string, string> }>;
    };
    expect(app.versions["1.1.0"]?.dependencies).toEqual({ "@acme/p-core": "^1.1.0" });

    const pypiPackages = [{ name: "acme-core", version: "1.1.0", path: "python", tag: "@acme/p-core@1.1.0" }];
    expect(JSON.parse(run.outputs["pypi-packages"] ?? "")).toEqual(pypiPackages);
    expect(github.dispatches).toEqual([
      {
        repo: REPOSITORY,
        workflow: "publish-pypi.yml",
        ref: "refs/heads/main",
        inputs: { packages: JSON.stringify(pypiPackages), tag: "@acme/p-core@1.1.0" },
      },
    ]);
    expect(run.stdout).toContain("dispatched publish-pypi.yml");
    expect(run.everything).not.toContain(CANARY);
    expect(run.everything).not.toContain("ghs_dispatchToken");
    await repo.cleanup();
  });
});

describe("doctor on a pnpm 12 workspace", () => {
  it("warns that pnpm 11/12 do their own OIDC exchange, with the fix", async () => {
    const pnpm12 = await ensureTool("pnpm@12.21.0");
    const repo = await pnpmWorkspace({
      ".changeset/polyglot.json": { pypi: { index: pypi.url } },
      "packages/core/package.json": npmPackage("@acme/p-core", "9.0.0", {
        publishConfig: { access: "public" },
      }),
    });
    const files = jobFiles();
    const run = await runCliInProcess(
      ["doctor", "--json"],
      repo.dir,
      stepEnv(files, ids.githubEnv(), [pnpm12]),
      files,
    );
    const { findings } = JSON.parse(run.stdout) as {
      findings: Array<{ code: string; level: string; fix?: string }>;
    };
    expect(findings.find((finding) => finding.code === "pnpm-oidc")).toMatchObject({
      level: "warning",
      fix: expect.stringContaining("pnpm 10"),
    });
    expect(run.exitCode).toBe(0);
    await repo.cleanup();
  }, 180_000);
});

describe("the provenance switch", () => {
  /** An `npm` that records what `publish` receives and hands every other command to the real npm. */
  function recordingNpm(record: string): string {
    const dir = mkdtempSync(path.join(tmpdir(), "recording-npm-"));
    const file = path.join(dir, "npm");
    writeFileSync(
      file,
      `#!/bin/sh
if [ "$1" = "--version" ]; then echo 99.0.0; exit 0; fi
if [ "$1" = "publish" ]; then
  echo "provenance=$npm_config_provenance args=$*" >> '${record}'
  exit 0
fi
exec '${process.execPath}' '${bundledNpm().cli}' "$@"
`,
    );
    chmodSync(file, 0o755);
    return dir;
  }

  it.each([
    { args: [] as string[], expected: "provenance=true" },
    { args: ["--no-provenance"], expected: "provenance=false" },
  ])("reaches npm as npm_config_provenance ($expected)", async ({ args, expected }) => {
    // Sigstore is unreachable offline, so a real provenance publish cannot succeed here: this proves the switch
    // reaches the npm that publishes, with the project .npmrc credential blanked on its command line.
    const repo = await createWorkspaceRepo({
      "package.json": { name: "root", private: true, workspaces: ["packages/*"] },
      "package-lock.json": { name: "root", lockfileVersion: 3, requires: true, packages: {} },
      ".npmrc": placeholderNpmrc(registry),
      ".changeset/polyglot.json": { pypi: { index: pypi.url } },
      "packages/prov/package.json": npmPackage("@acme/prov", "1.1.0", {
        publishConfig: { access: "public" },
      }),
    });
    const files = jobFiles();
    const record = path.join(mkdtempSync(path.join(tmpdir(), "record-")), "publish.log");
    const env = stepEnv(files, { ...ids.githubEnv(), NODE_AUTH_TOKEN: CANARY }, [recordingNpm(record)]);

    const run = await runCliInProcess(args, repo.dir, env, files);

    // The recording npm publishes nothing: the read-back after the publish catches it.
    expect(run.stdout).toContain(
      "@acme/prov@1.1.0 read back from the registry: the registry does not serve this version",
    );
    expect(run.exitCode).toBe(1);
    const line = readFileSync(record, "utf8").trim();
    expect(line).toContain(expected);
    expect(line).toContain(`--${registry.npmrcKey}:_authToken=`);
    expect(line).not.toContain(CANARY);
    await repo.cleanup();
  });
});
