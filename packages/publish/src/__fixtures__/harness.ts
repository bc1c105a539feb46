// Shared set-up of the end-to-end tests: temp monorepos wired to the testkit servers, a GitHub Actions job env,
// and in-process runs of the CLI with captured streams and outputs.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { parseOutputFile } from "@polyglot-changesets/core";
import { execa } from "execa";
import {
  CHANGESETS_CLI,
  createTempRepo,
  type FileTree,
  type IdTokenServer,
  type PypiServer,
  type Registry,
  startIdTokenServer,
  startPypi,
  startRegistry,
  type TempRepo,
} from "@polyglot-changesets/testkit";
import { bundledNpm } from "../npm-cli.js";
import { main } from "../main.js";

export const REPOSITORY = "octo-org/octo-repo";
export const REPOSITORY_URL = `git+https://github.com/${REPOSITORY}.git`;

export const CHANGESET_CONFIG = {
  changelog: false,
  commit: false,
  access: "public",
  baseBranch: "main",
  privatePackages: { version: true, tag: true },
};

/** A public npm package of the temp workspace. */
export function npmPackage(name: string, version: string, extra: Record<string, unknown> = {}): object {
  return { name, version, license: "MIT", repository: { type: "git", url: REPOSITORY_URL }, ...extra };
}

export interface PublishServers {
  ids: IdTokenServer;
  registry: Registry;
  pypi: PypiServer;
  /** The maintainer's publish token. */
  token: string;
  close(): Promise<void>;
}

/**
 * The stand-ins of a publish, shared by a test file: GitHub's ID-token endpoint, Verdaccio trusting `@acme/*`
 * from REPOSITORY's release.yml, the PyPI index; each of `seed` published once by the maintainer at 1.0.0.
 */
export async function startPublishServers(seed: readonly string[]): Promise<PublishServers> {
  const ids = await startIdTokenServer();
  const registry = await startRegistry({
    oidc: { issuer: ids.issuer, jwks: ids.jwks },
    trustedPublishers: [{ package: "@acme/*", repository: REPOSITORY, workflow: "release.yml" }],
  });
  const pypi = await startPypi();
  const token = await registry.createUser("maintainer");
  for (const name of seed) await seedPackage(registry, token, name, "1.0.0");
  return {
    ids,
    registry,
    pypi,
    token,
    close: async () => {
      await Promise.all([registry.close(), ids.close(), pypi.close()]);
    },
  };
}

/** A project .npmrc pointing at `registry`, with setup-node's `${NODE_AUTH_TOKEN}` placeholder line. */
export function placeholderNpmrc(registry: Registry): string {
  return `registry=${registry.url}\n${registry.npmrcKey}:_authToken=\${NODE_AUTH_TOKEN}\n`;
}

/** A temp git monorepo whose `node_modules/@changesets/cli` is this repo's (the repo's own Changesets). */
export async function createWorkspaceRepo(files: FileTree): Promise<TempRepo> {
  return createTempRepo(
    { ".changeset/config.json": CHANGESET_CONFIG, ...files },
    { link: { "@changesets/cli": CHANGESETS_CLI } },
  );
}

export interface JobFiles {
  output: string;
  summary: string;
  changesetsOutput: string;
  home: string;
}

/** A HOME without tokens and the files GitHub Actions hands a step. */
export function jobFiles(): JobFiles {
  const dir = mkdtempSync(path.join(tmpdir(), "polyglot-job-"));
  const home = path.join(dir, "home");
  mkdirSync(home);
  writeFileSync(path.join(home, ".npmrc"), "");
  const files = { output: path.join(dir, "output"), summary: path.join(dir, "summary"), changesetsOutput: path.join(dir, "changesets.ndjson"), home };
  writeFileSync(files.output, "");
  writeFileSync(files.summary, "");
  return files;
}

/** The env of a publish step: Node 22 first on PATH, an isolated HOME and npm cache, the job files, `extra`. */
export function stepEnv(files: JobFiles, extra: Record<string, string | undefined> = {}, pathDirs: string[] = []): NodeJS.ProcessEnv {
  const system = (process.env.PATH ?? "").split(path.delimiter).filter((dir) => !dir.includes("node_modules"));
  const env: Record<string, string | undefined> = {
    PATH: [...pathDirs, path.dirname(process.execPath), ...system].join(path.delimiter),
    HOME: files.home,
    LANG: "C.UTF-8",
    TMPDIR: process.env.TMPDIR,
    npm_config_cache: path.join(files.home, ".npm-cache"),
    npm_config_update_notifier: "false",
    npm_config_audit: "false",
    npm_config_fund: "false",
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    CHANGESETS_OUTPUT: files.changesetsOutput,
    ...extra,
  };
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined)) as NodeJS.ProcessEnv;
}

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** Everything a secret must never appear in. */
  everything: string;
}

/** Runs the CLI in-process (its `main`, as `runCli` does), with captured streams. */
export async function runCliInProcess(argv: string[], cwd: string, env: NodeJS.ProcessEnv, files: JobFiles): Promise<CliRun> {
  const stdout = capture();
  const stderr = capture();
  const exitCode = await main([...argv, "--cwd", cwd], { stdout: stdout.stream, stderr: stderr.stream }, env);
  const outputText = readFileSync(files.output, "utf8");
  const summary = readFileSync(files.summary, "utf8");
  readFileSync(files.output, "utf8");
  const changesetsOutput = (() => {
    try {
      return readFileSync(files.changesetsOutput, "utf8");
    } catch {
      return "";
    }
  })();
  writeFileSync(files.output, "");
  writeFileSync(files.summary, "");
  return {
    exitCode,
    stdout: stdout.text(),
    stderr: stderr.text(),
    outputs: parseOutputFile(outputText),
    summary,
    everything: [stdout.text(), stderr.text(), outputText, summary, changesetsOutput].join("\n"),
  };
}

function capture(): { stream: PassThrough; text(): string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}

/** Publishes `name@version` with a token, as a maintainer's first manual publish. */
export async function seedPackage(registry: Registry, token: string, name: string, version: string, tag = "latest"): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "polyglot-seed-"));
  writeFileSync(path.join(dir, "package.json"), JSON.stringify(npmPackage(name, version)));
  writeFileSync(path.join(dir, ".npmrc"), "");
  await execa(
    process.execPath,
    [bundledNpm().cli, "publish", "--access", "public", "--tag", tag, `--registry=${registry.url}`],
    {
      cwd: dir,
      env: stepEnv(jobFiles(), { [`npm_config_${registry.npmrcKey}:_authToken`]: token }),
      extendEnv: false,
      stdin: "ignore",
    },
  );
}

/** Versions of `name` the registry holds. */
export async function registryVersions(registry: Registry, name: string): Promise<string[]> {
  const response = await fetch(`${registry.url}${name.replace("/", "%2f")}`);
  if (response.status === 404) return [];
  const body = (await response.json()) as { versions?: Record<string, unknown> };
  return Object.keys(body.versions ?? {}).sort();
}

/** Successful publishes (PUT of the package document) per package name. */
export function successfulPuts(registry: Registry, name: string): number {
  return registry.requests.filter((request) => request.method === "PUT" && request.path === `/${name.replace("/", "%2f")}`).length;
}
