import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { annotate, loadWorkspace, PolyglotError, writeCommand } from "@polyglot-changesets/core";
import { execa } from "execa";
import type { DoctorArgs, PublishArgs } from "./args.js";
import { type ChangesetRun, type GitTagEvent, runChangesetPublish } from "./changeset.js";
import { type CratesPlan, planCrates } from "./crates/plan.js";
import { type CratesPreflight, runCratesPreflight } from "./crates/preflight.js";
import { cratesDryRunRows, cratesPlanText } from "./crates/report.js";
import { publishCratesStage, withCrates } from "./crates/stage.js";
import { dispatchPypiWorkflow } from "./dispatch.js";
import { redactUrl, rememberSecrets } from "./http.js";
import { fetchPackageVersions } from "./lookup.js";
import { bundledNpm, findOnPath, npmVersionOnPath, writeNpmShim } from "./npm-cli.js";
import { NpmConfig, projectConfigEnv, readNpmrcFiles } from "./npmrc.js";
import { localTags, type PublishPlan, planWorkspace, type TagRelease } from "./plan.js";
import {
  type Finding,
  hasErrors,
  type Preflight,
  preflightExitCode,
  runPreflight,
  usesOidc,
} from "./preflight.js";
import {
  npmLink,
  type PublishReport,
  type PypiPackage,
  pypiLink,
  type ReportRow,
  toPypiPackage,
  writeOutputs,
  writeSummary,
} from "./report.js";
import { StopOnSignal } from "./signals.js";
import { cleanPublishEnv, secretValues } from "./tokens.js";

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** Where human-readable lines go: stderr under --json, so stdout is only the JSON. */
function logStream(io: Io, json: boolean): NodeJS.WritableStream {
  return json ? io.stderr : io.stdout;
}

/** `polyglot-publish`: plan, preflight, publish through Changesets, report, trigger the PyPI job. */
export async function publishCommand(args: PublishArgs, io: Io): Promise<number> {
  const log = logStream(io, args.json);
  const workspace = await loadWorkspace(args.cwd);
  rememberSecrets(secretValues(io.env, readNpmrcFiles(workspace.root, io.env)));
  const pypiWorkflow = args.pypiWorkflow ?? workspace.config.pypi.workflow;
  if (args.pypiTrigger === "dispatch" && !pypiWorkflow) {
    throw new PolyglotError("--pypi-trigger dispatch needs the workflow to start", {
      setting: "--pypi-workflow",
      fix: "pass --pypi-workflow publish-pypi.yml or set pypi.workflow in .changeset/polyglot.json",
    });
  }
  const plan = await planWorkspace(workspace, {
    cwd: args.cwd,
    env: io.env,
    anonymousReads: usesOidc(args.oidc, io.env),
    gitTags: args.gitTag,
    ...(args.tag ? { distTag: args.tag } : {}),
  });
  const crates = await planCrates(workspace, { env: io.env });
  const hasWork = plan.npm.length > 0 || plan.tagOnly.length > 0;
  log.write(cratesPlanText(crates, args.dryRun) + planText(plan, args.dryRun));

  const cratesCheck = await cratesPreflightFor(crates, io, args.oidc, !args.dryRun);
  const preflight = hasWork ? await preflightFor(plan, io, args) : undefined;
  const findings = [...cratesCheck.findings, ...(preflight?.findings ?? [])];
  writeFindings(log, findings, io.env);
  if (hasErrors(findings)) {
    await cratesCheck.release();
    log.write("polyglot-publish: stopped before publishing: fix the errors above (nothing was published)\n");
    finish(emptyReport(findings, args.dryRun), args, io);
    return preflightExitCode(findings);
  }
  if (args.dryRun) {
    const report = dryRunReport(plan, findings);
    finish({ ...report, rows: [...cratesDryRunRows(crates), ...report.rows] }, args, io);
    return 0;
  }

  const stopper = new StopOnSignal().install();
  try {
    // Crates first: npm and Python artifacts of such repos build against the published crates.
    const cratesPart = await publishCratesStage(crates, cratesCheck, args, { ...io, log }, stopper);
    if (cratesPart.failed.length > 0 || stopper.signal) {
      log.write(
        "polyglot-publish: stopped before npm and the PyPI hand-off: a crate was not published; re-run to publish only what is missing\n",
      );
      finish(withCrates(emptyReport(findings, false), cratesPart), args, io);
      return stopper.signal ? stopper.exitCode() : 1;
    }
    const reconciled = await tagUntagged(plan, io, log);
    const run =
      hasWork && preflight
        ? await publishPlan(plan, preflight, args, io, stopper)
        : { exitCode: 0, events: [] };
    const report = withCrates(
      await resultReport(plan, run, findings, io.env, {
        reconciled,
        anonymousReads: usesOidc(args.oidc, io.env),
        gitTag: args.gitTag,
      }),
      cratesPart,
    );
    if (stopper.signal) return stoppedBy(stopper, report, args, io);
    const failed = run.exitCode !== 0 || report.failed.length > 0;
    if (report.failed.length > 0) {
      log.write(
        `polyglot-publish: not published: ${report.failed.join(", ")}; re-run to publish only what is missing\n`,
      );
    }
    if (report["published-elsewhere"].length > 0) {
      log.write(
        `polyglot-publish: already published by another run meanwhile (not claimed by this one): ${report["published-elsewhere"].join(", ")}\n`,
      );
    }
    const triggered = await trigger(report["pypi-packages"], args, pypiWorkflow, io, log);
    finish(report, args, io);
    return failed || !triggered ? 1 : 0;
  } finally {
    stopper.uninstall();
  }
}

/**
 * A run stopped by SIGTERM/SIGINT: the child publish was stopped; say what is on the registry now and that a
 * re-run tags and finishes it. No PyPI hand-off: the release is incomplete.
 */
function stoppedBy(stopper: StopOnSignal, report: PublishReport, args: PublishArgs, io: Io): number {
  const landedUntagged = report["published-elsewhere"];
  const parts = [
    `published and tagged: ${listOrNone(report["published-packages"].map(({ name, version }) => `${name}@${version}`))}`,
    `on the registry without a tag yet: ${listOrNone(landedUntagged)}`,
    `not published: ${listOrNone(report.failed)}`,
  ];
  io.stderr.write(
    `polyglot-publish: stopped by ${stopper.signal}: the publish was stopped (${parts.join("; ")}); re-run polyglot-publish to tag what landed and publish the rest\n`,
  );
  finish({ ...report, pypi: false, "pypi-packages": [] }, args, io);
  return stopper.exitCode();
}

function listOrNone(items: readonly string[]): string {
  return items.length > 0 ? items.join(", ") : "none";
}

/**
 * Creates the missing git tags of versions already on their registry (on HEAD, annotated as Changesets does) and
 * appends Changesets' `git-tag` events to CHANGESETS_OUTPUT; returns the versions tagged.
 */
async function tagUntagged(plan: PublishPlan, io: Io, log: NodeJS.WritableStream): Promise<TagRelease[]> {
  const tagged: TagRelease[] = [];
  for (const release of plan.untagged) {
    const result = await execa("git", ["tag", release.gitTag, "-m", release.gitTag], {
      cwd: plan.root,
      reject: false,
    });
    if (result.exitCode !== 0) {
      io.stderr.write(
        `polyglot-publish: warning: could not create the missing tag ${release.gitTag}: ${result.stderr.trim()}\n`,
      );
      continue;
    }
    tagged.push(release);
    const event: GitTagEvent = { type: "git-tag", tag: release.gitTag, packageName: release.name };
    if (io.env.CHANGESETS_OUTPUT) appendFileSync(io.env.CHANGESETS_OUTPUT, `${JSON.stringify(event)}\n`);
  }
  if (tagged.length > 0) {
    log.write(
      `polyglot-publish: tagged ${tagged.map((release) => release.gitTag).join(", ")} (already on the registry, the tag was missing)\n`,
    );
  }
  return tagged;
}

/** `polyglot-publish doctor`: the preflight alone; exit 2 when any finding is an error. */
export async function doctorCommand(args: DoctorArgs, io: Io): Promise<number> {
  const log = logStream(io, args.json);
  const workspace = await loadWorkspace(args.cwd);
  rememberSecrets(secretValues(io.env, readNpmrcFiles(workspace.root, io.env)));
  const plan = await planWorkspace(workspace, {
    cwd: args.cwd,
    env: io.env,
    anonymousReads: usesOidc(args.oidc, io.env),
  });
  const crates = await planCrates(workspace, { env: io.env });
  const cratesCheck = await cratesPreflightFor(crates, io, args.oidc, false);
  const preflight = await preflightFor(plan, io, args);
  const findings = [...cratesCheck.findings, ...preflight.findings];
  log.write(cratesPlanText(crates, true) + planText(plan, true));
  writeFindings(log, findings, io.env);
  const problems = findings.filter((finding) => finding.level !== "info");
  if (problems.length === 0)
    log.write("polyglot-publish: doctor: all good, nothing stands in the way of the publish\n");
  if (args.json) {
    const report = dryRunReport(plan, findings);
    io.stdout.write(
      `${JSON.stringify({ ...report, rows: [...cratesDryRunRows(crates), ...report.rows] }, null, 2)}\n`,
    );
  }
  return hasErrors(findings) ? preflightExitCode(findings) : 0;
}

/** The crates checks; `keepToken` holds the exchanged trusted-publishing token for the publish. */
function cratesPreflightFor(
  plan: CratesPlan,
  io: Io,
  oidc: PublishArgs["oidc"],
  keepToken: boolean,
): Promise<CratesPreflight> {
  return runCratesPreflight({
    plan,
    env: io.env,
    oidc,
    keepToken,
    writeCommand: (text) => writeCommand(io.stderr, text),
  });
}

async function preflightFor(
  plan: PublishPlan,
  io: Io,
  args: { oidc: PublishArgs["oidc"]; provenance: boolean },
): Promise<Preflight> {
  const env = io.env;
  const runner = await npmVersionOnPath(env);
  return runPreflight({
    plan,
    env,
    oidc: args.oidc,
    provenance: args.provenance,
    npmrcFiles: readNpmrcFiles(plan.root, env),
    runnerNpm: runner.version,
    bundledNpm: bundledNpm().version,
    writeCommand: (text) => writeCommand(io.stderr, text),
  });
}

/** Runs Changesets with the publish environment: cleaned under OIDC, provenance switch, npm >= 11.5.1 first. */
async function publishPlan(
  plan: PublishPlan,
  preflight: Preflight,
  args: PublishArgs,
  io: Io,
  stopper: StopOnSignal,
): Promise<ChangesetRun> {
  const workDir = mkdtempSync(path.join(tmpdir(), "polyglot-publish-"));
  try {
    const env = publishEnv(plan, preflight, args, io.env, workDir);
    if (preflight.useOidc) {
      io.stderr.write(
        "polyglot-publish: publishing through OIDC; long-lived tokens are kept out of the publish\n",
      );
    }
    return await runChangesetPublish(plan, {
      root: plan.root,
      env,
      workDir,
      outputFile: io.env.CHANGESETS_OUTPUT || path.join(workDir, "changesets-output.ndjson"),
      stdout: logStream(io, args.json),
      stderr: io.stderr,
      stopper,
      gitTag: args.gitTag,
    });
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** The child's environment: see README "How the publish environment is built". */
export function publishEnv(
  plan: PublishPlan,
  preflight: Pick<Preflight, "useOidc" | "npm">,
  args: Pick<PublishArgs, "provenance">,
  env: NodeJS.ProcessEnv,
  workDir: string,
): Record<string, string | undefined> {
  const files = readNpmrcFiles(plan.root, env);
  const cleaned = preflight.useOidc ? cleanPublishEnv(env, files, workDir) : { env: { ...env }, npmArgs: [] };
  const child = { ...cleaned.env, ...projectConfigEnv(files, env, !preflight.useOidc) };
  // pnpm 11+ reads pnpm_config_*, npm (and pnpm 10, which hands the publish to npm) npm_config_*.
  for (const key of Object.keys(child)) if (/^(npm|pnpm)_config_provenance$/i.test(key)) delete child[key];
  const provenance = !args.provenance ? "false" : preflight.useOidc ? "true" : undefined;
  if (provenance) {
    child.npm_config_provenance = provenance;
    child.pnpm_config_provenance = provenance;
  }
  const runnerNpm = findOnPath("npm", env);
  if (preflight.npm === "bundled" || cleaned.npmArgs.length > 0) {
    const command =
      preflight.npm === "runner" && runnerNpm ? [runnerNpm] : [process.execPath, bundledNpm().cli];
    const shimDir = writeNpmShim(workDir, command, cleaned.npmArgs);
    child.PATH = [shimDir, env.PATH ?? ""].join(path.delimiter);
  }
  return child;
}

async function resultReport(
  plan: PublishPlan,
  run: ChangesetRun,
  findings: Finding[],
  env: NodeJS.ProcessEnv,
  {
    reconciled = [],
    anonymousReads = false,
    gitTag = true,
  }: { reconciled?: TagRelease[]; anonymousReads?: boolean; gitTag?: boolean } = {},
): Promise<PublishReport> {
  const tagged = new Set(run.events.map((event) => event.packageName));
  const npmConfig = new NpmConfig(readNpmrcFiles(plan.root, env), env);
  // Published by this run = tagged by this run's `changeset publish`. A version that is on the registry without
  // that was published by someone else meanwhile (a concurrent run): neither ours nor missing. Under --no-git-tag
  // Changesets reports nothing: a version the plan did not find and the registry has now counts as this run's.
  const npmState = await Promise.all(
    plan.npm.map(async (release): Promise<NpmState> => {
      if (tagged.has(release.name)) return "published";
      const found = await fetchPackageVersions(
        release.name,
        release.registry,
        anonymousReads ? undefined : npmConfig.authorizationFor(release.registry),
      ).catch(() => undefined);
      if (!found?.versions.has(release.version)) return "failed";
      return gitTag ? "elsewhere" : "published";
    }),
  );
  const npmDone = npmState.map((state) => state === "published");
  const tagsNow = plan.tagOnly.length > 0 ? await localTags(plan.root) : new Set<string>();
  const tagDone = plan.tagOnly.map((release) => tagged.has(release.name) || tagsNow.has(release.gitTag));
  const publishedNpm = plan.npm.filter((_, at) => npmDone[at]);
  const taggedOnly = plan.tagOnly.filter((_, at) => tagDone[at]);
  const releasedNow = new Set([...publishedNpm, ...taggedOnly, ...reconciled].map((release) => release.name));
  const pypi = plan.pypi.filter((release) => release.sourceReleased || releasedNow.has(release.source));
  const rows: ReportRow[] = [
    ...plan.npm.map((release, at) => ({
      package: release.name,
      ecosystem: "npm" as const,
      version: release.version,
      link: npmLink(redactUrl(release.registry), release.name, release.version),
      status: npmStatusText[npmState[at] ?? "failed"],
    })),
    ...taggedOnly.map((release) => ({
      package: release.name,
      ecosystem: "git tag" as const,
      version: release.version,
      status: `tagged ${release.gitTag}`,
    })),
    ...reconciled.map((release) => ({
      package: release.name,
      ecosystem: "git tag" as const,
      version: release.version,
      status: `tagged ${release.gitTag} (published earlier, the tag was missing)`,
    })),
    ...pypi.map((release) => pypiRow(plan, release, "ready for the PyPI job")),
  ];
  return {
    published: publishedNpm.length + taggedOnly.length + reconciled.length > 0,
    "published-packages": [...publishedNpm, ...taggedOnly, ...reconciled].map(({ name, version }) => ({
      name,
      version,
    })),
    pypi: pypi.length > 0,
    crates: false,
    "crates-packages": [],
    // Without tags, the PyPI job checks out the commit itself: a ref that exists.
    "pypi-packages": gitTag ? pypi.map(toPypiPackage) : await atHead(plan.root, pypi.map(toPypiPackage)),
    "dry-run": false,
    failed: releasesIn(plan.npm, npmState, "failed"),
    "published-elsewhere": releasesIn(plan.npm, npmState, "elsewhere"),
    findings,
    rows,
  };
}

type NpmState = "published" | "elsewhere" | "failed";

const npmStatusText: Record<NpmState, string> = {
  published: "published",
  elsewhere: "already published by another run",
  failed: "failed",
};

function releasesIn(
  releases: { name: string; version: string }[],
  states: NpmState[],
  state: NpmState,
): string[] {
  return releases.filter((_, at) => states[at] === state).map(({ name, version }) => `${name}@${version}`);
}

function pypiRow(plan: PublishPlan, release: PublishPlan["pypi"][number], status: string): ReportRow {
  return {
    package: release.name,
    ecosystem: "PyPI",
    version: release.version,
    link: pypiLink(redactUrl(plan.pypiIndex), release.name, release.version),
    status,
  };
}

/** Dry run: nothing was published, so the outputs say so; the plan is in the summary and `--json` rows. */
function dryRunReport(plan: PublishPlan, findings: Finding[]): PublishReport {
  const releasing = new Set([...plan.npm, ...plan.tagOnly].map((release) => release.name));
  const pypi = plan.pypi.filter((release) => release.sourceReleased || releasing.has(release.source));
  return {
    ...emptyReport(findings, true),
    rows: [
      ...plan.npm.map((release) => ({
        package: release.name,
        ecosystem: "npm" as const,
        version: release.version,
        link: npmLink(redactUrl(release.registry), release.name, release.version),
        status: `would publish (${release.distTag})`,
      })),
      ...plan.tagOnly.map((release) => ({
        package: release.name,
        ecosystem: "git tag" as const,
        version: release.version,
        status: `would tag ${release.gitTag}`,
      })),
      ...plan.untagged.map((release) => ({
        package: release.name,
        ecosystem: "git tag" as const,
        version: release.version,
        status: `would tag ${release.gitTag} (published earlier, the tag is missing)`,
      })),
      ...pypi.map((release) => pypiRow(plan, release, "would hand to the PyPI job")),
    ],
  };
}

function emptyReport(findings: Finding[], dryRun: boolean): PublishReport {
  return {
    published: false,
    "published-packages": [],
    pypi: false,
    "pypi-packages": [],
    crates: false,
    "crates-packages": [],
    "dry-run": dryRun,
    failed: [],
    "published-elsewhere": [],
    findings,
    rows: [],
  };
}

function finish(report: PublishReport, args: { json: boolean }, io: Io): void {
  writeOutputs(report, io.env);
  writeSummary(report, io.env);
  if (args.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

/** Starts the PyPI job as `--pypi-trigger` says; false when a dispatch failed. */
async function trigger(
  packages: PypiPackage[],
  args: PublishArgs,
  workflow: string | undefined,
  io: Io,
  log: NodeJS.WritableStream,
): Promise<boolean> {
  if (packages.length === 0 || args.pypiTrigger !== "dispatch" || !workflow) return true;
  try {
    const request = await dispatchPypiWorkflow({ workflow, packages, env: io.env });
    log.write(
      `polyglot-publish: dispatched ${workflow} on ${request.ref} for ${packages.map((p) => `${p.name} ${p.version}`).join(", ")}\n`,
    );
    return true;
  } catch (error) {
    if (!(error instanceof PolyglotError)) throw error;
    io.stderr.write(`polyglot-publish: error: ${error.format()}\n`);
    return false;
  }
}

export function planText(plan: PublishPlan, dryRun: boolean): string {
  const verb = dryRun ? "would" : "will";
  const npmLines = [
    ...plan.npm.map(
      (release) =>
        `  npm     ${release.name}@${release.version} -> ${redactUrl(release.registry)} (${release.distTag})`,
    ),
    ...plan.tagOnly.map((release) => `  tag     ${release.gitTag}`),
    ...plan.untagged.map((release) => `  tag     ${release.gitTag} (already published, the tag is missing)`),
  ];
  const pypiLines = plan.pypi.map(
    (release) => `  PyPI    ${release.name} ${release.version} (${release.path}, after ${release.tag})`,
  );
  const head =
    npmLines.length === 0
      ? `polyglot-publish: nothing to publish or tag (${plan.alreadyPublished.length} already published)\n`
      : `polyglot-publish: ${verb} publish or tag (${plan.alreadyPublished.length} already published):\n${npmLines.join("\n")}\n`;
  const pypi =
    pypiLines.length > 0
      ? `polyglot-publish: not on ${redactUrl(plan.pypiIndex)} yet:\n${pypiLines.join("\n")}\n`
      : "";
  const lookupErrors = plan.pypiLookupErrors.map(
    (error) => `warning: ${error}; handed to the PyPI job anyway (its pypi-check decides)\n`,
  );
  return head + pypi + lookupErrors.join("");
}

/** Each finding as a line: an annotation on GitHub Actions (info stays a plain line), with its fix. */
export function writeFindings(
  stream: NodeJS.WritableStream,
  findings: readonly Finding[],
  env: NodeJS.ProcessEnv,
): void {
  for (const finding of findings) {
    const text = `[${finding.id}] ${finding.message}${finding.fix ? `\n  fix: ${finding.fix}` : ""}`;
    if (finding.level === "info") {
      stream.write(`info: ${text}\n`);
      continue;
    }
    const where = {
      ...(finding.file ? { file: finding.file } : {}),
      ...(finding.line ? { line: finding.line } : {}),
      title: finding.id,
    };
    annotate(finding.level, text, where, env, stream);
  }
}

async function atHead(root: string, packages: PypiPackage[]): Promise<PypiPackage[]> {
  if (packages.length === 0) return packages;
  const head = (await execa("git", ["rev-parse", "HEAD"], { cwd: root, reject: false })).stdout.trim();
  return packages.map((entry) => ({ ...entry, tag: head }));
}
