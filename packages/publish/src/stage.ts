import path from "node:path";
import { execa } from "execa";
import semver from "semver";
import type { PackedTarball } from "./changeset.js";
import { redactSecrets, redactUrl } from "./http.js";
import { bundledNpm, findOnPath } from "./npm-cli.js";
import type { NpmRelease, PublishPlan } from "./plan.js";
import type { Finding } from "./preflight.js";
import { npmLink, type PublishReport } from "./report.js";

/** npm stages from this version on (`npm stage publish`, npm/cli lib/commands/stage). */
export const MIN_STAGE_NPM = "11.15.0";

/** One npm release of a `--stage` run: staged with an id, or why not. */
export interface StagedRelease {
  name: string;
  version: string;
  registry: string;
  stageId?: string;
  error?: string;
}

const STAGE_ID = /staged with id ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i;

/**
 * `npm stage publish <tarball>` for each packed release, in dependency order, with the publish environment (the
 * OIDC exchange works as for a publish). Nothing goes live: each version waits for a maintainer's approval.
 */
export async function stageTarballs(
  plan: PublishPlan,
  packed: readonly PackedTarball[],
  env: Record<string, string | undefined>,
): Promise<StagedRelease[]> {
  const npm = await stagingNpm(env);
  const releases = new Map(plan.npm.map((release) => [release.name, release]));
  const staged: StagedRelease[] = [];
  for (const name of plan.order.flat()) {
    const release = releases.get(name);
    if (!release) continue;
    const tarball = packed.find((entry) => entry.name === name && entry.version === release.version);
    staged.push(tarball ? await stageOne(npm, release, tarball, plan.root, env) : notPacked(release));
  }
  return staged;
}

async function stageOne(
  npm: string[],
  release: NpmRelease,
  tarball: PackedTarball,
  root: string,
  env: Record<string, string | undefined>,
): Promise<StagedRelease> {
  const [command = "npm", ...prefix] = npm;
  const result = await execa(
    command,
    [...prefix, "stage", "publish", tarball.file, "--tag", release.distTag, "--access", release.access],
    {
      cwd: path.join(root, release.relativeDir),
      env,
      extendEnv: false,
      reject: false,
      all: true,
      stdin: "ignore",
      timeout: 600_000,
    },
  );
  const base = { name: release.name, version: release.version, registry: release.registry };
  const stageId = STAGE_ID.exec(result.stdout)?.[1];
  if (result.exitCode === 0 && stageId) return { ...base, stageId };
  const why = redactSecrets(
    (result.all ?? "")
      .split("\n")
      .filter((line) => /npm error|ERR!/.test(line))
      .slice(-4)
      .join(" ")
      .replace(/\s+/g, " ")
      .trim(),
  );
  return { ...base, error: why || `npm stage publish exited ${result.exitCode}` };
}

function notPacked(release: NpmRelease): StagedRelease {
  return {
    name: release.name,
    version: release.version,
    registry: release.registry,
    error: "Changesets packed no tarball for it",
  };
}

/** The npm on the publish PATH (the shim when there is one) when it can stage, else the bundled npm. */
async function stagingNpm(env: Record<string, string | undefined>): Promise<string[]> {
  const onPath = findOnPath("npm", env);
  if (onPath) {
    const version = await execa(onPath, ["--version"], { env, extendEnv: false, reject: false });
    const found = semver.valid(version.stdout.trim());
    if (found && semver.gte(found, MIN_STAGE_NPM)) return [onPath];
  }
  return [process.execPath, bundledNpm().cli];
}

/** How a maintainer approves, for the log and the summary. */
export function approvalHint(staged: readonly StagedRelease[]): string {
  const ids = staged.filter((entry) => entry.stageId).map((entry) => `npm stage approve ${entry.stageId}`);
  return [
    "approve each staged version on npmjs.com (the package's page, Staged versions; 2FA) or from a maintainer's",
    `machine with ${ids.length > 0 ? ids.join(", ") : "npm stage approve <id>"} (an interactive login with 2FA;`,
    "a CI token cannot approve), then run polyglot-publish --after-approval to tag the versions and hand off the",
    "PyPI and crates.io releases",
  ].join(" ");
}

/** The report of a `--stage` run: nothing published, nothing handed off; each npm version staged or not. */
export function stageReport(staged: readonly StagedRelease[], findings: Finding[]): PublishReport {
  return {
    published: false,
    "published-packages": [],
    pypi: false,
    "pypi-packages": [],
    "dry-run": false,
    failed: staged.filter((entry) => !entry.stageId).map((entry) => `${entry.name}@${entry.version}`),
    "published-elsewhere": [],
    findings,
    rows: staged.map((entry) => ({
      package: entry.name,
      ecosystem: "npm" as const,
      version: entry.version,
      link: npmLink(redactUrl(entry.registry), entry.name, entry.version),
      status: entry.stageId
        ? `staged (id ${entry.stageId}), awaiting approval`
        : `not staged: ${entry.error}`,
    })),
    urls: [],
    staged: staged.map(({ name, version, stageId, error }) => ({
      name,
      version,
      ...(stageId ? { stageId } : {}),
      ...(error ? { error } : {}),
    })),
  };
}
