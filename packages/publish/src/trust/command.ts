// `polyglot-publish trust [--dry-run] [--yes] [--otp CODE]`: every publishable npm package's trusted publisher,
// compared with the registry and created in one pass with the real `npm trust`; PyPI and crates.io values.
import { execFileSync } from "node:child_process";
import { createInterface } from "node:readline/promises";
import { detectCi, loadWorkspace, PolyglotError } from "@polyglot-changesets/core";
import { redactUrl } from "../http.js";
import { mapConcurrent } from "../lookup.js";
import type { OnboardingIo, TrustArgs } from "../onboarding-args.js";
import { repositoryOf } from "../preflight.js";
import { type FormNeed, type NpmNeed, type Publisher, trustNeeds } from "./needs.js";
import {
  createArgs,
  createPublisher,
  listPublishers,
  matches,
  type NpmRunner,
  trustNpm,
} from "./npm-trust.js";

type Status =
  | { state: "in-place" }
  | { state: "missing"; others: number }
  | { state: "unpublished" }
  | { state: "unreadable"; code: string; message: string };

interface Row {
  need: NpmNeed;
  status: Status;
  created?: boolean;
  error?: string;
}

export async function trustCommand(args: TrustArgs, io: OnboardingIo): Promise<number> {
  const workspace = await loadWorkspace(args.cwd);
  const needs = trustNeeds(workspace, originRepository(workspace.root), io.env);
  const out = args.json ? io.stderr : io.stdout;
  if (!args.dryRun && (detectCi(io.env).provider !== "none" || isCi(io.env))) {
    throw new PolyglotError(
      "polyglot-publish trust creates trusted publishers with your own npm login and 2FA, never in CI",
      {
        code: "trust-in-ci",
        fix: "run polyglot-publish trust --dry-run in CI (it only reads), and polyglot-publish trust on your machine after npm login",
        exitCode: 2,
      },
    );
  }
  const npm = await trustNpm(io.env);
  const call = { env: io.env, ...(args.otp ? { otp: args.otp } : {}) };
  // Reads in parallel (a few npm processes at once); creates one by one (npm may prompt for each).
  const rows = await mapConcurrent(
    needs.npm,
    4,
    async (need): Promise<Row> => ({ need, status: await statusOf(npm, need, call) }),
  );
  out.write(statusText(rows, npm, args.dryRun));
  const missing = rows.filter((row) => row.status.state === "missing");
  if (!args.dryRun && missing.length > 0) {
    if (args.yes || (await confirm(io, missing.length))) {
      await createMissing(missing, npm, { ...call, interactive: io.interactive === true && !args.otp }, out);
    } else {
      out.write("\nnothing created: pass --yes (or answer y) to create them\n");
    }
  }
  out.write(formsText(needs.pypi, needs.crates, needs.pypiIndex));
  if (args.json) io.stdout.write(`${JSON.stringify(jsonReport(rows, needs.pypi, needs.crates), null, 2)}\n`);
  return exitCode(rows, args.dryRun);
}

/** Each package's state, a login hint, and the npm trust calls that would create the missing publishers. */
function statusText(rows: readonly Row[], npm: NpmRunner, dryRun: boolean): string {
  const needs = rows.map((row) => row.need);
  const lines = [header(needs, npm).trimEnd()];
  for (const row of rows) lines.push(`  ${row.need.package.padEnd(longest(needs))}  ${describe(row.status)}`);
  const notLoggedIn = rows.find((row) => isAuthFailure(row.status));
  if (notLoggedIn) {
    const registry = notLoggedIn.need.registry ? ` --registry ${redactUrl(notLoggedIn.need.registry)}` : "";
    const code = (notLoggedIn.status as { code: string }).code;
    lines.push(
      "",
      `npm answered ${code}: log in first with npm login${registry} (2FA on), then run polyglot-publish trust again`,
    );
  }
  const missing = rows.filter((row) => row.status.state === "missing");
  if (missing.length > 0) {
    lines.push(
      "",
      `${dryRun ? "would run" : "runs"} (npm trust needs your interactive npm login and 2FA; never in CI):`,
    );
    for (const row of missing) lines.push(`  npm ${displayCommand(row.need)}`);
  }
  return `${lines.join("\n")}\n`;
}

const isAuthFailure = (status: Status) => status.state === "unreadable" && /E401|ENEEDAUTH/.test(status.code);

/** Creates the missing publishers one by one; stops at the first login or one-time-password failure. */
async function createMissing(
  missing: Row[],
  npm: NpmRunner,
  call: Parameters<typeof createPublisher>[2],
  out: NodeJS.WritableStream,
): Promise<void> {
  for (const row of missing) {
    const result = await createPublisher(npm, row.need, call);
    row.created = result.ok;
    if (result.ok) {
      out.write(`created the trusted publisher of ${row.need.package}\n`);
      continue;
    }
    row.error = `${result.code}: ${result.message}`;
    out.write(`failed: ${row.need.package}: ${row.error}\n`);
    // The login or the one-time password is the problem: every other call would fail the same way.
    if (/^(EOTP|E401|ENEEDAUTH)$/.test(result.code)) {
      out.write(authHint(result.code));
      return;
    }
  }
}

/** 0 when every publisher is in place (or a dry run could read them all), else 1. */
function exitCode(rows: readonly Row[], dryRun: boolean): number {
  if (dryRun) return rows.some((row) => isAuthFailure(row.status)) ? 1 : 0;
  const settled = rows.every(
    (row) => row.status.state === "in-place" || (row.status.state === "missing" && row.created === true),
  );
  return settled ? 0 : 1;
}

/** The npm trust call as printed: a registry URL without credentials. */
export function displayCommand(need: NpmNeed): string {
  const shown = need.registry ? { ...need, registry: redactUrl(need.registry) } : need;
  return createArgs(shown, need.publisher).join(" ");
}

function authHint(code: string): string {
  if (code === "EOTP")
    return "npm asks for a one-time password: run polyglot-publish trust in a terminal (npm prompts for it) or pass --otp CODE from your authenticator; nothing else was attempted\n";
  return "npm is not logged in to this registry: run npm login (with 2FA on), then polyglot-publish trust again; nothing else was attempted\n";
}

function isCi(env: NodeJS.ProcessEnv): boolean {
  return ["CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "CIRCLECI"].some(
    (name) => env[name] !== undefined && env[name] !== "" && env[name] !== "false" && env[name] !== "0",
  );
}

async function statusOf(
  npm: NpmRunner,
  need: NpmNeed,
  call: { env: NodeJS.ProcessEnv; otp?: string },
): Promise<Status> {
  const listed = await listPublishers(npm, need, call);
  if (!listed.ok) {
    if (listed.code === "E404") return { state: "unpublished" };
    return { state: "unreadable", code: listed.code, message: listed.message };
  }
  if (listed.publishers.some((registered) => matches(registered, need.publisher)))
    return { state: "in-place" };
  return { state: "missing", others: listed.publishers.length };
}

function describe(status: Status): string {
  switch (status.state) {
    case "in-place":
      return "in place";
    case "missing":
      return status.others > 0
        ? `missing (${status.others} other publisher(s) registered; npm trust revoke removes stale ones)`
        : "missing";
    case "unpublished":
      return "not on the registry yet: publish its first version by hand (trusted publishing cannot create a package), then run trust again";
    case "unreadable":
      return `cannot read (${status.code}: ${status.message})`;
  }
}

const longest = (needs: readonly NpmNeed[]) => Math.max(0, ...needs.map((need) => need.package.length));

function describePublisher(publisher: Publisher): string {
  return `${publisher.provider} ${publisher.repository}, workflow ${publisher.workflow}, environment ${publisher.environment ?? "(none)"}`;
}

function header(needs: readonly NpmNeed[], npm: NpmRunner): string {
  const first = needs[0];
  if (!first) return "polyglot-publish trust: no publishable npm packages\n";
  return `polyglot-publish trust: ${needs.length} npm package(s) need the trusted publisher ${describePublisher(first.publisher)} (npm ${npm.version}, npm trust list):\n`;
}

async function confirm(io: OnboardingIo, count: number): Promise<boolean> {
  if (!io.interactive) return false;
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`Create ${count} trusted publisher(s) with npm trust? (y/N) `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
}

function formsText(pypi: readonly FormNeed[], crates: readonly FormNeed[], index: string): string {
  const lines: string[] = [];
  const base = index.replace(/\/+$/, "");
  for (const need of pypi) {
    const [owner, ...rest] = need.publisher.repository.split("/");
    lines.push(
      "",
      `PyPI ${need.name}: ${base}/manage/project/${need.name}/settings/publishing/ (a project not on PyPI yet: ${base}/manage/account/publishing/, "pending publisher")`,
      ...(need.publisher.provider === "github"
        ? [
            `  PyPI Project Name: ${need.name}`,
            `  Owner: ${owner}`,
            `  Repository name: ${rest.join("/")}`,
            `  Workflow name: ${need.publisher.workflow}`,
            `  Environment name: ${need.publisher.environment ?? "(leave empty)"}`,
          ]
        : [
            `  PyPI Project Name: ${need.name}`,
            `  Namespace: ${owner}`,
            `  Project name: ${rest.join("/")}`,
            `  Top-level pipeline file path: ${need.publisher.workflow}`,
            `  Environment name: ${need.publisher.environment ?? "(leave empty)"}`,
          ]),
    );
  }
  for (const need of crates) {
    const [owner, ...rest] = need.publisher.repository.split("/");
    lines.push(
      "",
      `crates.io ${need.name}: https://crates.io/crates/${need.name}/settings (Trusted Publishing -> Add; publish the first version with a token)`,
      `  Repository owner: ${owner}`,
      `  Repository name: ${rest.join("/")}`,
      `  Workflow filename: ${need.publisher.workflow}`,
      `  Environment: ${need.publisher.environment ?? "(leave empty)"}`,
    );
  }
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

function jsonReport(rows: readonly Row[], pypi: readonly FormNeed[], crates: readonly FormNeed[]) {
  return {
    npm: rows.map((row) => ({
      name: row.need.package,
      publisher: row.need.publisher,
      status: row.status.state,
      ...(row.created !== undefined ? { created: row.created } : {}),
      ...(row.error ? { error: row.error } : {}),
    })),
    pypi: pypi.map((need) => ({ name: need.name, publisher: need.publisher })),
    crates: crates.map((need) => ({ name: need.name, publisher: need.publisher })),
  };
}

function originRepository(root: string): string | undefined {
  try {
    const url = execFileSync("git", ["remote", "get-url", "origin"], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    return repositoryOf({ repository: url });
  } catch {
    return undefined;
  }
}
