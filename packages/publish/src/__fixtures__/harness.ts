// Shared set-up of the end-to-end tests: temp monorepos wired to the testkit servers, a GitHub Actions job env,
// and in-process runs of the CLI with captured streams and outputs.
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { parseOutputFile, PolyglotError } from "@polyglot-changesets/core";
import { execa } from "execa";
import { createTempRepo, type FileTree, type Registry, type TempRepo } from "@polyglot-changesets/testkit";
import { parseCliArgs } from "../args.js";
import { bundledNpm } from "../npm-cli.js";
import { doctorCommand, publishCommand } from "../publish.js";
import { pypiCheckCommand } from "../pypi-check.js";
import { pypiUploadCommand } from "../pypi-upload/command.js";

export const REPOSITORY = "octo-org/octo-repo";
export const REPOSITORY_URL = `git+https://github.com/${REPOSITORY}.git`;
const MONOREPO = path.resolve(import.meta.dirname, "../../../..");

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

/** A temp git monorepo whose `node_modules/@changesets/cli` is this repo's (the repo's own Changesets). */
export async function createWorkspaceRepo(files: FileTree): Promise<TempRepo> {
  const repo = await createTempRepo({
    ".gitignore": "node_modules\n",
    ".changeset/config.json": CHANGESET_CONFIG,
    ...files,
  });
  mkdirSync(path.join(repo.dir, "node_modules", "@changesets"), { recursive: true });
  symlinkSync(
    path.join(MONOREPO, "node_modules", "@changesets", "cli"),
    path.join(repo.dir, "node_modules", "@changesets", "cli"),
  );
  return repo;
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

/** Runs the CLI in-process as `runCli` would, with captured streams. */
export async function runCliInProcess(argv: string[], cwd: string, env: NodeJS.ProcessEnv, files: JobFiles): Promise<CliRun> {
  const stdout = capture();
  const stderr = capture();
  const io = { stdout: stdout.stream, stderr: stderr.stream, env };
  let exitCode: number;
  try {
    const args = parseCliArgs([...argv, "--cwd", cwd]);
    if (args.command === "help") exitCode = 0;
    else if (args.command === "doctor") exitCode = await doctorCommand(args, io);
    else if (args.command === "pypi-check") exitCode = await pypiCheckCommand(args, io);
    else if (args.command === "pypi-upload") exitCode = await pypiUploadCommand(args, io);
    else exitCode = await publishCommand(args, io);
  } catch (error) {
    if (!(error instanceof PolyglotError)) throw error;
    stderr.stream.write(`polyglot-publish: error: ${error.format()}\n`);
    exitCode = error.exitCode;
  }
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
