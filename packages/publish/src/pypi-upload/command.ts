import {
  appendSummary,
  type Distribution,
  type DistributionGroup,
  groupByRelease,
  type Io,
  loadWorkspace,
  PolyglotError,
  pypiIndexUrls,
  setOutput,
  writeError,
} from "@polyglot-changesets/core";
import { redactSecrets, redactUrl, rememberSecrets } from "../http.js";
import type { OidcMode } from "../preflight.js";
import { cell, markdownLink, pypiLink } from "../report.js";
import {
  type CredentialSource,
  checkGitlabIdToken,
  chooseCredential,
  fetchAudience,
  obtainCredential,
} from "./credential.js";
import { readDistributions } from "./dists.js";
import { explainUploadFailure } from "./explain.js";
import { PypiUploadError } from "./findings.js";
import { filesOnIndex } from "./index-files.js";
import { findTwine, runTwineUpload, type TwineCommand } from "./twine.js";

export interface PypiUploadArgs {
  command: "pypi-upload";
  index?: string;
  oidc: OidcMode;
  /** Skip files whose exact name is on the index already (default on: a re-run after a partial upload passes). */
  skipExisting: boolean;
  dryRun: boolean;
  json: boolean;
  cwd: string;
  paths: string[];
  /** `--dotenv FILE`: the outputs also as `NAME=value` lines (GitLab's dotenv reports). */
  dotenv?: string;
}

/** One release in the `pypi-uploaded` output (changesets/action's `published-packages` shape, plus the files). */
export interface UploadedRelease {
  name: string;
  version: string;
  files: string[];
}

export interface UploadReport {
  "pypi-uploaded": UploadedRelease[];
  /** Files already on the index, not uploaded again. */
  "already-on-index": UploadedRelease[];
  "dry-run": boolean;
  index: string;
  /** How the upload authenticated (`trusted publishing (GitLab CI, PYPI_ID_TOKEN)`, `PYPI_API_TOKEN`). */
  credential?: string;
  error?: { id: string; message: string; fix?: string };
}

/** `polyglot-publish pypi-upload PATH...`: uploads with twine what the index lacks, through trusted publishing. */
export async function pypiUploadCommand(
  args: PypiUploadArgs,
  io: Io,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const log = args.json ? io.stderr : io.stdout;
  const index = args.index ?? (await configuredIndex(args.cwd));
  const urls = pypiIndexUrls(index);
  const groups = groupByRelease(readDistributions(args.paths, args.cwd));
  rememberSecrets([env.PYPI_ID_TOKEN, env.PYPI_API_TOKEN, env.TWINE_PASSWORD]);

  const plan = await planUploads(groups, urls.index, args.skipExisting);
  const report: UploadReport = {
    "pypi-uploaded": [],
    "already-on-index": plan.flatMap((entry) =>
      entry.present.length > 0 ? [release(entry.group, entry.present)] : [],
    ),
    "dry-run": args.dryRun,
    index: redactUrl(urls.index),
  };
  for (const entry of plan) {
    for (const file of entry.present)
      log.write(`pypi-upload: ${file.filename}: already on ${report.index}, skipped\n`);
  }
  const pending = plan.filter((entry) => entry.missing.length > 0);
  if (pending.length === 0) {
    log.write(`pypi-upload: nothing to upload: every file is on ${report.index} already\n`);
    return finish(report, args, io, env, 0);
  }

  const source = chooseCredential(args.oidc, env);
  const twine = await findTwine(env);
  const projects = [...new Set(pending.map((entry) => entry.group.project))];
  if (args.dryRun) {
    if (source.kind === "gitlab-oidc")
      checkGitlabIdToken(source.idToken, await fetchAudience(urls), urls.index);
    for (const entry of pending) {
      log.write(
        `pypi-upload: would upload ${entry.missing.map((file) => file.filename).join(", ")} with ${twine.display} (${describeSource(source)})\n`,
      );
    }
    report["pypi-uploaded"] = pending.map((entry) => release(entry.group, entry.missing));
    return finish(report, args, io, env, 0);
  }

  const credential = await obtainCredential(source, urls, projects, env, io.stderr);
  rememberSecrets([credential.token]);
  report.credential = credential.via;
  log.write(
    `pypi-upload: uploading to ${redactUrl(urls.upload)} with ${twine.display}, authenticated by ${credential.via}\n`,
  );
  for (const entry of pending) {
    const done: Distribution[] = [];
    for (const file of entry.missing) {
      const failure = await uploadOne(twine, file, credential.token, urls.upload, args, env, log);
      if (failure) {
        if (done.length > 0) report["pypi-uploaded"].push(release(entry.group, done));
        report.error = {
          id: failure.id,
          message: failure.message,
          ...(failure.fix ? { fix: failure.fix } : {}),
        };
        writeError(io.stderr, "polyglot-publish", failure);
        io.stderr.write(
          "pypi-upload: re-run to upload only the files still missing (files on the index are skipped)\n",
        );
        return finish(report, args, io, env, failure.exitCode);
      }
      done.push(file);
    }
    report["pypi-uploaded"].push(release(entry.group, done));
  }
  return finish(report, args, io, env, 0);
}

interface PlannedRelease {
  group: DistributionGroup;
  present: Distribution[];
  missing: Distribution[];
}

async function planUploads(
  groups: readonly DistributionGroup[],
  index: string,
  skipExisting: boolean,
): Promise<PlannedRelease[]> {
  const planned = await Promise.all(
    groups.map(async (group) => {
      const there = await filesOnIndex(index, group.project, group.version);
      return {
        group,
        present: group.files.filter((file) => there.has(file.filename)),
        missing: group.files.filter((file) => !there.has(file.filename)),
      };
    }),
  );
  const present = planned.flatMap((entry) => entry.present);
  if (!skipExisting && present.length > 0) {
    throw new PypiUploadError(
      "pypi-already-on-index",
      `already on ${redactUrl(index)}: ${present.map((file) => file.filename).join(", ")} (--no-skip-existing)`,
      {
        setting: "--no-skip-existing",
        fix: "drop --no-skip-existing to skip them, or release a new version",
        exitCode: 1,
      },
    );
  }
  return planned;
}

async function uploadOne(
  twine: TwineCommand,
  file: Distribution,
  token: string,
  repositoryUrl: string,
  args: PypiUploadArgs,
  env: NodeJS.ProcessEnv,
  log: NodeJS.WritableStream,
) {
  log.write(
    `pypi-upload: ${twine.display} upload --non-interactive --repository-url ${redactUrl(repositoryUrl)} ${file.filename}\n`,
  );
  const result = await runTwineUpload(twine, {
    repositoryUrl,
    file: file.path,
    token,
    env,
    cwd: args.cwd,
  });
  const output = redactSecrets(result.output).trimEnd();
  if (output) log.write(`${output.replace(/^/gm, "  | ")}\n`);
  return result.exitCode === 0 ? undefined : explainUploadFailure(file.filename, output, repositoryUrl);
}

function release(group: DistributionGroup, files: readonly Distribution[]): UploadedRelease {
  return { name: group.project, version: group.version, files: files.map((file) => file.filename) };
}

function describeSource(source: CredentialSource): string {
  if (source.kind === "api-token") return `the token in ${source.variable}`;
  return source.kind === "gitlab-oidc"
    ? "trusted publishing with PYPI_ID_TOKEN"
    : "trusted publishing with GitHub's ID token";
}

async function configuredIndex(cwd: string): Promise<string> {
  try {
    return (await loadWorkspace(cwd)).config.pypi.index;
  } catch (error) {
    if (!(error instanceof PolyglotError)) throw error;
    throw new PolyglotError(
      `no --index, and the index could not be read from the workspace: ${error.message}`,
      {
        code: error.code,
        setting: "--index",
        fix: "pass --index https://pypi.org (or your index), or run in the repository with .changeset/polyglot.json",
        exitCode: error.exitCode,
      },
    );
  }
}

function finish(
  report: UploadReport,
  args: PypiUploadArgs,
  io: Io,
  env: NodeJS.ProcessEnv,
  exitCode: number,
): number {
  if (!args.dryRun) setOutput("pypi-uploaded", JSON.stringify(report["pypi-uploaded"]), env);
  if (env.GITHUB_STEP_SUMMARY) appendSummary(uploadSummary(report), env);
  if (args.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return exitCode;
}

export function uploadSummary(report: UploadReport): string {
  const rows = [
    ...report["pypi-uploaded"].map(
      (entry) => [entry, report["dry-run"] ? "would upload" : "uploaded"] as const,
    ),
    ...report["already-on-index"].map((entry) => [entry, "already on the index"] as const),
  ];
  const title = `### polyglot-publish pypi-upload${report["dry-run"] ? " (dry run)" : ""}`;
  const lines = [
    title,
    "",
    "| Package | Version | Files | Index | Status |",
    "| --- | --- | --- | --- | --- |",
    ...rows.map(
      ([entry, status]) =>
        `| ${cell(entry.name)} | ${cell(entry.version)} | ${cell(entry.files.join(", "))} | ${markdownLink(pypiLink(report.index, entry.name, entry.version))} | ${status} |`,
    ),
  ];
  if (report.error) lines.push("", `**Stopped**: \`${report.error.id}\`: ${cell(report.error.message)}`);
  return `${lines.join("\n")}\n`;
}
