// The servers and repos of the publish reliability tests: testkit's ID-token endpoint, Verdaccio with the OIDC
// exchange, the PyPI stand-in and the GitHub API, and small release repos (npm packages + a Python bridge).
import { execFileSync } from "node:child_process";
import { realpathSync } from "node:fs";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { BIN, cleanEnv, NODE, ROOT, remove, runCommand } from "./helpers.js";

// biome-ignore lint/suspicious/noExplicitAny: the testkit types are read at runtime from its dist
type Any = any;

export interface Servers {
  idToken: Any;
  registry: Any;
  pypi: Any;
  github: Any;
  /** A long-lived registry token of user `ci` (allowed to publish everything). */
  token: string;
  close(): Promise<void>;
}

export const REPOSITORY = "acme/widgets";
export const WORKFLOW = "release.yml";

export async function startServers(): Promise<Servers> {
  const testkit: Any = { ...(await import(join(ROOT, "packages/testkit/dist/index.js"))) };
  // startRegistry lives in registry.js; older builds of the index did not re-export it.
  testkit.startRegistry ??= (await import(join(ROOT, "packages/testkit/dist/registry.js"))).startRegistry;
  const idToken = await testkit.startIdTokenServer();
  const oidc = { issuer: idToken.issuer, jwks: idToken.jwks };
  const registry = await testkit.startRegistry({
    oidc,
    trustedPublishers: [{ package: "@rel*/*", repository: REPOSITORY, workflow: WORKFLOW }],
  });
  const pypi = await testkit.startPypi({
    oidc,
    trustedPublishers: [{ project: "*", repository: REPOSITORY, workflow: WORKFLOW }],
  });
  const github = await testkit.startGithubApi();
  github.addWorkflow({ repo: REPOSITORY, file: "publish-pypi.yml", inputs: ["packages", "tag"] });
  const token = await registry.createUser("ci");
  return {
    idToken,
    registry,
    pypi,
    github,
    token,
    async close() {
      await Promise.allSettled([idToken.close(), registry.close(), pypi.close(), github.close()]);
    },
  };
}

let counter = 0;
/** A fresh npm scope per repo (`@rel<n>x`), so tests sharing one registry never collide. */
/**
 * Starts the servers once for the test file (handing them to `onStart`) and, after it, closes them and removes
 * every directory the tests pushed onto the returned list.
 */
export function useServers(onStart: (servers: Servers) => void): string[] {
  const dirs: string[] = [];
  let servers: Servers | undefined;
  beforeAll(async () => {
    servers = await startServers();
    onStart(servers);
  });
  afterAll(async () => {
    await servers?.close();
    for (const dir of dirs) await remove(dir);
  });
  return dirs;
}

export function freshScope(): string {
  counter += 1;
  return `rel${counter}${Date.now().toString(36)}`;
}

export interface ReleaseRepo {
  dir: string;
  scope: string;
  names: string[];
  /** The Python bridge's PEP 503 name. */
  python: string;
  /** Files a GitHub Actions step writes to. */
  outputFile: string;
  summaryFile: string;
  changesetsOutput: string;
}

function writeJson(file: string, value: unknown): Promise<void> {
  return writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * A released repo (as right after the Version Packages PR was merged): `count` public npm packages at `version`,
 * and a Python bridge `<scope>-py` at the same version. `.npmrc` points at the registry, with `npmrcToken` when given.
 */
export async function createReleaseRepo(
  servers: Servers,
  {
    count = 3,
    version = "1.0.0",
    npmrcToken,
  }: { count?: number; version?: string; npmrcToken?: string } = {},
): Promise<ReleaseRepo> {
  const scope = freshScope();
  const names = Array.from({ length: count }, (_, i) => `@${scope}/pkg-${i}`);
  const host = servers.registry.url.replace(/^https?:/, "");
  const python = `${scope}-py`;
  const files: Record<string, string | object> = {
    "package.json": { name: `${scope}-root`, private: true, workspaces: ["packages/*", "python/*"] },
    "package-lock.json": { name: `${scope}-root`, lockfileVersion: 3, requires: true, packages: {} },
    ".npmrc": `registry=${servers.registry.url}\n${npmrcToken ? `${host}:_authToken=${npmrcToken}\n` : ""}audit=false\nfund=false\n`,
    ".changeset/config.json": {
      changelog: false,
      commit: false,
      access: "public",
      baseBranch: "main",
      updateInternalDependencies: "patch",
      privatePackages: { version: true, tag: true },
    },
    ".changeset/polyglot.json": { pypi: { index: servers.pypi.url.replace(/\/$/, "") } },
    "python/py/package.json": { name: `@${scope}/py`, version, private: true },
    "python/py/pyproject.toml": `[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n[project]\nname = "${python}"\nversion = "${version}"\n`,
    ".gitignore": "node_modules\n.out/\n",
  };
  for (const [i, name] of names.entries()) {
    files[`packages/pkg-${i}/package.json`] = {
      name,
      version,
      license: "MIT",
      repository: {
        type: "git",
        url: `git+https://github.com/${REPOSITORY}.git`,
        directory: `packages/pkg-${i}`,
      },
      publishConfig: { access: "public" },
      ...(i > 0 ? { dependencies: { [names[i - 1] as string]: `^${version}` } } : {}),
    };
    files[`packages/pkg-${i}/index.js`] = `export const id = ${i};\n`;
  }
  const { createTempRepo } = await import(join(ROOT, "packages/testkit/dist/index.js"));
  const { dir } = await createTempRepo(files, {
    prefix: "pc-rel-publish-",
    message: "release",
    link: toolLinks(),
  });
  await linkChangesetBin(dir);
  await mkdir(join(dir, ".out"), { recursive: true });
  return {
    dir,
    scope,
    names,
    python,
    outputFile: join(dir, ".out/github-output"),
    summaryFile: join(dir, ".out/step-summary"),
    changesetsOutput: join(dir, ".out/changesets-output"),
  };
}

/** The changesets CLI and our CLIs, linked from this workspace into a generated repo's node_modules. */
function toolLinks(): Record<string, string> {
  return {
    "@changesets/cli": realpathSync(join(ROOT, "node_modules/@changesets/cli")),
    "@polyglot-changesets/publish": join(ROOT, "packages/publish"),
    "@polyglot-changesets/version": join(ROOT, "packages/version"),
  };
}

/** node_modules of a generated repo that is not a testkit temp repo: the tools linked, as `toolLinks` says. */
export async function linkTools(dir: string): Promise<void> {
  for (const [name, from] of Object.entries(toolLinks())) {
    await mkdir(dirname(join(dir, "node_modules", name)), { recursive: true });
    await symlink(from, join(dir, "node_modules", name), "dir");
  }
  await linkChangesetBin(dir);
}

/** node_modules/.bin/changeset of a generated repo: this workspace's changesets CLI. */
async function linkChangesetBin(dir: string): Promise<void> {
  await mkdir(join(dir, "node_modules/.bin"), { recursive: true });
  await writeFile(
    join(dir, "node_modules/.bin/changeset"),
    `#!/bin/sh\nexec "${NODE}" "${BIN.changeset}" "$@"\n`,
    {
      mode: 0o755,
    },
  );
}

/** Bumps every package and the bridge to `version` and commits (a second release). */
export async function bumpAll(repo: ReleaseRepo, version: string): Promise<void> {
  for (const i of repo.names.keys()) {
    const file = join(repo.dir, `packages/pkg-${i}/package.json`);
    const pkg = JSON.parse(await readFile(file, "utf8"));
    pkg.version = version;
    if (pkg.dependencies) for (const k of Object.keys(pkg.dependencies)) pkg.dependencies[k] = `^${version}`;
    await writeJson(file, pkg);
  }
  const bridge = join(repo.dir, "python/py/package.json");
  const pkg = JSON.parse(await readFile(bridge, "utf8"));
  pkg.version = version;
  await writeJson(bridge, pkg);
  const toml = join(repo.dir, "python/py/pyproject.toml");
  await writeFile(
    toml,
    (await readFile(toml, "utf8")).replace(/^version = ".*"$/m, `version = "${version}"`),
  );
  execFileSync("git", ["commit", "-qam", `release ${version}`, "--no-verify"], {
    cwd: repo.dir,
    stdio: "pipe",
  });
}

/** The environment of the publish step of a GitHub Actions job, `id-token: write` when `oidc`. */
export function actionsEnv(
  servers: Servers,
  repo: ReleaseRepo,
  { oidc = false, extra = {} }: { oidc?: boolean; extra?: Record<string, string | undefined> } = {},
): NodeJS.ProcessEnv {
  const base = servers.github.url.replace(/\/$/, "");
  const idEnv = oidc ? servers.idToken.githubEnv({ repository: REPOSITORY, workflowFile: WORKFLOW }) : {};
  return cleanEnv({
    // testkit's job env first: it names github.com's API, which the stand-in below replaces.
    ...idEnv,
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_REPOSITORY: REPOSITORY,
    GITHUB_WORKFLOW_REF: `${REPOSITORY}/.github/workflows/${WORKFLOW}@refs/heads/main`,
    GITHUB_REF: "refs/heads/main",
    GITHUB_SHA: "0".repeat(40),
    GITHUB_API_URL: base,
    GITHUB_GRAPHQL_URL: `${base}/graphql`,
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_OUTPUT: repo.outputFile,
    GITHUB_STEP_SUMMARY: repo.summaryFile,
    CHANGESETS_OUTPUT: repo.changesetsOutput,
    npm_config_registry: servers.registry.url,
    ...extra,
  });
}

export async function readText(file: string): Promise<string> {
  return readFile(file, "utf8").catch(() => "");
}

/** Versions of an npm package on the registry ([] when absent). */
export async function registryVersions(servers: Servers, name: string): Promise<string[]> {
  const res = await fetch(new URL(name.replace("/", "%2f"), servers.registry.url));
  if (res.status === 404) return [];
  const doc = (await res.json()) as { versions?: Record<string, unknown> };
  return Object.keys(doc.versions ?? {}).sort();
}

/** The packages' registry documents (versions, dist-tags, time), for before/after comparisons. */
export async function registryState(servers: Servers, names: string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const res = await fetch(new URL(name.replace("/", "%2f"), servers.registry.url));
    out[name] = res.status === 404 ? null : await res.json();
  }
  return out;
}

/** A user npmrc holding `token` for the registry, in the repo's ignored `.out/` (removed with the repo). */
export async function tokenUserconfig(servers: Servers, repo: ReleaseRepo, token: string): Promise<string> {
  const host = servers.registry.url.replace(/^https?:/, "");
  const file = join(repo.dir, ".out", "setup-npmrc");
  await writeFile(file, `registry=${servers.registry.url}\n${host}:_authToken=${token}\n`);
  return file;
}

/** Publishes `repo` as it is with bare `changeset publish` and the ci token (set-up of later scenarios). */
export async function prepublish(servers: Servers, repo: ReleaseRepo): Promise<void> {
  const userconfig = await tokenUserconfig(servers, repo, servers.token);
  const result = await runCommand(NODE, [BIN.changeset, "publish"], {
    cwd: repo.dir,
    env: cleanEnv({ npm_config_userconfig: userconfig, npm_config_registry: servers.registry.url }),
  });
  if (result.code !== 0) throw new Error(`prepublish failed: ${result.stdout}\n${result.stderr}`);
}
