import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  annotate,
  findPackages,
  type Io,
  loadWorkspace,
  PolyglotError,
  writeCommand,
  writeError,
} from "@polyglot-changesets/core";
import { execa } from "execa";
import type { DoctorArgs, PublishArgs } from "./args.js";
import { type ChangesetRun, type GitTagEvent, runChangesetPublish } from "./changeset.js";
import { dispatchPypiWorkflow } from "./dispatch.js";
import { afterPublish } from "./guards/after-publish.js";
import { type Gate, gateLine, outcomeGates, preflightGates } from "./guards/gates.js";
import { guardFindings } from "./guards/index.js";
import { redactUrl, rememberSecrets } from "./http.js";
import { fetchPackageVersions } from "./lookup.js";
import { bundledNpm, findOnPath, npmVersionOnPath, writeNpmShim } from "./npm-cli.js";
import { NpmConfig, type NpmrcFile, projectConfigEnv, readNpmrcFiles } from "./npmrc.js";
import { localTags, type NpmRelease, type PublishPlan, planWorkspace, type TagRelease } from "./plan.js";
import {
  type Finding,
  hasErrors,
  type Preflight,
  preflightExitCode,
  runPreflight,
  usesOidc,
} from "./preflight.js";
import {
  buildReport,
  npmLink,
  type Outcome,
  type PublishReport,
  type PypiPackage,
  pypiLink,
  type ReportRecord,
  toPypiPackage,
  writeOutputs,
  writeSummary,
} from "./report.js";
import { StopOnSignal } from "./signals.js";
import { approvalHint, type StagedRelease, stageReport, stageTarballs } from "./stage.js";
import { cleanPublishEnv, secretValues } from "./tokens.js";
import { workflowFindings } from "./workflows/index.js";

/** Where human-readable lines go: stderr under --json, so stdout is only the JSON. */
function logStream(io: Io, json: boolean): NodeJS.WritableStream {
  return json ? io.stderr : io.stdout;
}

/** What a command reads once per run and hands down: the workspace, its packages and the npmrc files. */
interface RunInputs {
  workspace: Awaited<ReturnType<typeof loadWorkspace>>;
  packages: Awaited<ReturnType<typeof findPackages>>;
  npmrcFiles: NpmrcFile[];
}

async function readRunInputs(cwd: string, env: NodeJS.ProcessEnv): Promise<RunInputs> {
  const packages = await findPackages(cwd);
  const workspace = await loadWorkspace(cwd, { packages });
  const npmrcFiles = readNpmrcFiles(workspace.root, env);
  rememberSecrets(secretValues(env, npmrcFiles));
  return { workspace, packages, npmrcFiles };
}

/** `polyglot-publish`: plan, preflight, publish through Changesets, report, trigger the PyPI job. */
export async function publishCommand(args: PublishArgs, io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const log = logStream(io, args.json);
  const { workspace, packages, npmrcFiles } = await readRunInputs(args.cwd, env);
  const pypiWorkflow = args.pypiWorkflow ?? workspace.config.pypi.workflow;
  if (args.pypiTrigger === "dispatch" && !pypiWorkflow) {
    throw new PolyglotError("--pypi-trigger dispatch needs the workflow to start", {
      code: "usage",
      setting: "--pypi-workflow",
      fix: "pass --pypi-workflow publish-pypi.yml or set pypi.workflow in .changeset/polyglot.json",
    });
  }
  const plan = await planWorkspace(workspace, {
    cwd: args.cwd,
    env,
    packages,
    npmrcFiles,
    anonymousReads: usesOidc(args.oidc, env),
    gitTags: args.gitTag,
    ...(args.tag ? { distTag: args.tag } : {}),
  });
  const hasWork = plan.npm.length > 0 || plan.tagOnly.length > 0;
  log.write(planText(plan, args.dryRun));

  const preflight = hasWork ? await preflightFor(plan, npmrcFiles, io, env, args, args.guards) : undefined;
  const findings = preflight?.findings ?? [];
  writeFindings(log, findings, env);
  const gates = preflightGates(findings, hasWork ? plan : undefined);
  if (hasErrors(findings)) {
    log.write("polyglot-publish: stopped before publishing: fix the errors above (nothing was published)\n");
    writeGates(log, gates);
    finish({ ...buildReport([], findings, args.dryRun), gates }, args, io, env);
    return preflightExitCode(findings);
  }
  if (args.dryRun) {
    writeGates(log, gates);
    finish({ ...buildReport(dryRunRecords(plan), findings, true), gates }, args, io, env);
    return 0;
  }

  const stopper = new StopOnSignal().install();
  try {
    const reconciled = await tagUntagged(plan, io, env, log);
    if (args.guards.stage && plan.npm.length > 0 && preflight) {
      return await stageRun(plan, preflight, args, io, env, stopper, gates);
    }
    // --after-approval: the npm versions went out through staging; one still missing is not re-published, and
    // while one is missing nothing else of the release (tags, hand-off) goes out either.
    const publishing = args.guards.afterApproval
      ? { ...plan, npm: [], tagOnly: plan.npm.length > 0 ? [] : plan.tagOnly }
      : plan;
    const run =
      (publishing.npm.length > 0 || publishing.tagOnly.length > 0) && preflight
        ? await publishPlan(publishing, preflight, args, io, env, stopper)
        : { exitCode: 0, events: [] };
    const records = await resultRecords(publishing, run, {
      reconciled,
      npmConfig: new NpmConfig(npmrcFiles, env),
      anonymousReads: preflight?.useOidc ?? usesOidc(args.oidc, env),
      gitTag: args.gitTag,
    });
    const report = buildReport(records, findings, false);
    const awaiting = args.guards.afterApproval ? awaitingApproval(plan, report, log) : false;
    const checked = await afterPublish({
      plan,
      report,
      packed: run.packed ?? [],
      provenance: args.provenance && preflight?.useOidc === true,
      anonymousReads: preflight?.useOidc ?? usesOidc(args.oidc, env),
      ...(args.guards.smoke ? { smoke: args.guards.smoke } : {}),
      env,
      log,
    });
    report.urls = checked.urls;
    report.gates = [...gates, ...outcomeGates(checked.outcome)];
    writeGates(log, report.gates);
    if (checked.failed && report.pypi) {
      log.write(
        "polyglot-publish: the PyPI hand-off is held back because a check of the published npm packages failed: release a fixed patch (or roll back, docs/rollback.md), then re-run\n",
      );
      report.pypi = false;
      report["pypi-packages"] = [];
    }
    if (stopper.signal) return stoppedBy(stopper, report, args, io, env);
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
    const triggered = await trigger(report["pypi-packages"], args, pypiWorkflow, io, env, log);
    finish(report, args, io, env);
    return failed || !triggered || checked.failed || awaiting ? 1 : 0;
  } finally {
    stopper.uninstall();
  }
}

/**
 * A run stopped by SIGTERM/SIGINT: the child publish was stopped; say what is on the registry now and that a
 * re-run tags and finishes it. No PyPI hand-off: the release is incomplete.
 */
function stoppedBy(
  stopper: StopOnSignal,
  report: PublishReport,
  args: PublishArgs,
  io: Io,
  env: NodeJS.ProcessEnv,
): number {
  const landedUntagged = report["published-elsewhere"];
  const parts = [
    `published and tagged: ${listOrNone(report["published-packages"].map(({ name, version }) => `${name}@${version}`))}`,
    `on the registry without a tag yet: ${listOrNone(landedUntagged)}`,
    `not published: ${listOrNone(report.failed)}`,
  ];
  io.stderr.write(
    `polyglot-publish: stopped by ${stopper.signal}: the publish was stopped (${parts.join("; ")}); re-run polyglot-publish to tag what landed and publish the rest\n`,
  );
  finish({ ...report, pypi: false, "pypi-packages": [] }, args, io, env);
  return stopper.exitCode();
}

function listOrNone(items: readonly string[]): string {
  return items.length > 0 ? items.join(", ") : "none";
}

/**
 * Creates the missing git tags of versions already on their registry (on HEAD, annotated as Changesets does) and
 * appends Changesets' `git-tag` events to CHANGESETS_OUTPUT; returns the versions tagged.
 */
async function tagUntagged(
  plan: PublishPlan,
  io: Io,
  env: NodeJS.ProcessEnv,
  log: NodeJS.WritableStream,
): Promise<TagRelease[]> {
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
    if (env.CHANGESETS_OUTPUT) appendFileSync(env.CHANGESETS_OUTPUT, `${JSON.stringify(event)}\n`);
  }
  if (tagged.length > 0) {
    log.write(
      `polyglot-publish: tagged ${tagged.map((release) => release.gitTag).join(", ")} (already on the registry, the tag was missing)\n`,
    );
  }
  return tagged;
}

/** `polyglot-publish doctor`: the preflight alone; exit 2 when any finding is an error. */
export async function doctorCommand(args: DoctorArgs, io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const log = logStream(io, args.json);
  const { workspace, packages, npmrcFiles } = await readRunInputs(args.cwd, env);
  const plan = await planWorkspace(workspace, {
    cwd: args.cwd,
    env,
    packages,
    npmrcFiles,
    anonymousReads: usesOidc(args.oidc, env),
  });
  const preflight = await preflightFor(plan, npmrcFiles, io, env, args, args.guards);
  preflight.findings.push(...(await workflowFindings(args.cwd)));
  log.write(planText(plan, true));
  writeFindings(log, preflight.findings, env);
  const gates = preflightGates(preflight.findings, plan);
  writeGates(log, gates);
  const problems = preflight.findings.filter((finding) => finding.level !== "info");
  if (problems.length === 0)
    log.write("polyglot-publish: doctor: all good, nothing stands in the way of the publish\n");
  const report = { ...buildReport(dryRunRecords(plan), preflight.findings, true), gates };
  // The release manager's table in the job summary too (doctor writes no outputs: it publishes nothing).
  writeSummary(report, env);
  if (args.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return hasErrors(preflight.findings) ? preflightExitCode(preflight.findings) : 0;
}

async function preflightFor(
  plan: PublishPlan,
  npmrcFiles: NpmrcFile[],
  io: Io,
  env: NodeJS.ProcessEnv,
  args: { oidc: PublishArgs["oidc"]; provenance: boolean; gitTag?: boolean },
  guards: DoctorArgs["guards"],
): Promise<Preflight> {
  const runner = await npmVersionOnPath(env);
  const preflight = await runPreflight({
    plan,
    env,
    oidc: args.oidc,
    provenance: args.provenance,
    npmrcFiles,
    runnerNpm: runner.version,
    bundledNpm: bundledNpm().version,
    writeCommand: (text) => writeCommand(io.stderr, text),
  });
  return {
    ...preflight,
    findings: [
      ...preflight.findings,
      ...(await guardFindings(plan, guards, env, { snapshot: args.gitTag === false })),
    ],
  };
}

/** The gates as checked lines, after the findings. */
function writeGates(log: NodeJS.WritableStream, gates: readonly Gate[]): void {
  if (gates.length === 0) return;
  log.write(`polyglot-publish: release gates:\n${gates.map((gate) => `  ${gateLine(gate)}`).join("\n")}\n`);
}

/** `--stage`: pack through Changesets, stage each tarball, report what awaits approval; nothing goes live. */
async function stageRun(
  plan: PublishPlan,
  preflight: Preflight,
  args: PublishArgs,
  io: Io,
  env: NodeJS.ProcessEnv,
  stopper: StopOnSignal,
  gates: Gate[],
): Promise<number> {
  const log = logStream(io, args.json);
  const run = await publishPlan(plan, preflight, args, io, env, stopper);
  const staged = run.staged ?? [];
  const report = stageReport(staged, preflight.findings);
  report.gates = [...gates, ...outcomeGates({ verifications: [], staged, urls: 0 })];
  for (const entry of staged) {
    log.write(
      entry.stageId
        ? `polyglot-publish: staged ${entry.name}@${entry.version} (stage id ${entry.stageId}); not live until approved\n`
        : `polyglot-publish: error: could not stage ${entry.name}@${entry.version}: ${entry.error}\n`,
    );
  }
  if (staged.some((entry) => entry.stageId)) log.write(`polyglot-publish: ${approvalHint(staged)}\n`);
  writeGates(log, report.gates);
  finish(report, args, io, env);
  return run.exitCode !== 0 || staged.length === 0 || staged.some((entry) => !entry.stageId) ? 1 : 0;
}

/** `--after-approval`: npm versions of the plan still not live (awaiting approval, or rejected) are named. */
function awaitingApproval(plan: PublishPlan, report: PublishReport, log: NodeJS.WritableStream): boolean {
  if (plan.npm.length === 0) return false;
  const names = plan.npm.map((release) => `${release.name}@${release.version}`);
  for (const release of plan.npm) {
    report.rows.unshift({
      package: release.name,
      ecosystem: "npm",
      version: release.version,
      link: npmLink(redactUrl(release.registry), release.name, release.version),
      status: "not live: awaiting approval (or rejected)",
    });
  }
  log.write(
    `polyglot-publish: not live yet (still staged, or rejected): ${names.join(", ")}; approve them (npm stage approve <id>, or on npmjs.com) and re-run --after-approval; a rejected version needs a new --stage run\n`,
  );
  return true;
}

/** Runs Changesets with the publish environment: cleaned under OIDC, provenance switch, npm >= 11.5.1 first. */
async function publishPlan(
  plan: PublishPlan,
  preflight: Preflight,
  args: PublishArgs,
  io: Io,
  env: NodeJS.ProcessEnv,
  stopper: StopOnSignal,
): Promise<ChangesetRun & { staged?: StagedRelease[] }> {
  const workDir = mkdtempSync(path.join(tmpdir(), "polyglot-publish-"));
  try {
    const childEnv = publishEnv(preflight, args, env, workDir);
    if (preflight.useOidc) {
      io.stderr.write(
        "polyglot-publish: publishing through OIDC; long-lived tokens are kept out of the publish\n",
      );
    }
    const run = await runChangesetPublish(plan, {
      root: plan.root,
      env: childEnv,
      workDir,
      outputFile: env.CHANGESETS_OUTPUT || path.join(workDir, "changesets-output.ndjson"),
      stdout: logStream(io, args.json),
      stderr: io.stderr,
      stopper,
      gitTag: args.gitTag,
      stage: args.guards.stage,
    });
    // The tarballs live in workDir: staging happens before it is removed.
    if (!args.guards.stage || run.exitCode !== 0) return run;
    // The publish environment (OIDC: tokens kept out; the provenance switch), as for `changeset publish`.
    return { ...run, staged: await stageTarballs(plan, run.packed ?? [], childEnv) };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * The child's environment from the preflight's decisions (OIDC or token, which npm, the npmrc files it read):
 * see README "How the publish environment is built".
 */
export function publishEnv(
  preflight: Pick<Preflight, "useOidc" | "npm" | "npmrcFiles">,
  args: Pick<PublishArgs, "provenance">,
  env: NodeJS.ProcessEnv,
  workDir: string,
): Record<string, string | undefined> {
  const files = preflight.npmrcFiles;
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

interface ResultOptions {
  reconciled: TagRelease[];
  npmConfig: NpmConfig;
  anonymousReads: boolean;
  gitTag: boolean;
}

/** What became of each planned release, read back from Changesets' events, the registry and the tags. */
async function resultRecords(
  plan: PublishPlan,
  run: ChangesetRun,
  options: ResultOptions,
): Promise<ReportRecord[]> {
  const tagged = new Set(run.events.map((event) => event.packageName));
  const npm = await Promise.all(
    plan.npm.map(async (release) => npmRecord(release, await npmOutcome(release, tagged, options))),
  );
  const tagsNow = plan.tagOnly.length > 0 ? await localTags(plan.root) : new Set<string>();
  const tagOnly = plan.tagOnly
    .filter((release) => tagged.has(release.name) || tagsNow.has(release.gitTag))
    .map((release) => tagRecord(release, `tagged ${release.gitTag}`, "published"));
  const reconciled = options.reconciled.map((release) =>
    tagRecord(release, `tagged ${release.gitTag} (published earlier, the tag was missing)`, "published"),
  );
  const released = [...npm, ...tagOnly, ...reconciled];
  const releasedNow = new Set(
    released.filter((record) => record.outcome === "published").map((record) => record.package),
  );
  const handed = plan.pypi.filter((release) => release.sourceReleased || releasedNow.has(release.source));
  // Without tags, the PyPI job checks out the commit itself: a ref that exists.
  const head = !options.gitTag && handed.length > 0 ? await headCommit(plan.root) : undefined;
  const pypi = handed.map((release) => ({
    ...pypiRow(plan, release, "ready for the PyPI job"),
    outcome: "handed-over" as const,
    pypi: { ...toPypiPackage(release), ...(head === undefined ? {} : { tag: head }) },
  }));
  return [...released, ...pypi];
}

/**
 * Published by this run = tagged by this run's `changeset publish`. A version that is on the registry without
 * that was published by someone else meanwhile (a concurrent run): neither ours nor missing. Under --no-git-tag
 * Changesets reports nothing: a version the plan did not find and the registry has now counts as this run's.
 */
async function npmOutcome(
  release: NpmRelease,
  tagged: ReadonlySet<string>,
  options: ResultOptions,
): Promise<Outcome> {
  if (tagged.has(release.name)) return "published";
  const authorization = options.anonymousReads
    ? undefined
    : options.npmConfig.authorizationFor(release.registry);
  const found = await fetchPackageVersions(release.name, release.registry, authorization).catch(
    () => undefined,
  );
  if (!found?.versions.has(release.version)) return "failed";
  return options.gitTag ? "published-elsewhere" : "published";
}

const npmStatusText: Partial<Record<Outcome, string>> = {
  published: "published",
  "published-elsewhere": "already published by another run",
  failed: "failed",
};

function npmRecord(release: NpmRelease, outcome: Outcome, status = npmStatusText[outcome]): ReportRecord {
  return {
    package: release.name,
    ecosystem: "npm",
    version: release.version,
    link: npmLink(redactUrl(release.registry), release.name, release.version),
    status: status ?? outcome,
    outcome,
  };
}

function tagRecord(release: TagRelease, status: string, outcome: Outcome): ReportRecord {
  return { package: release.name, ecosystem: "git tag", version: release.version, status, outcome };
}

function pypiRow(plan: PublishPlan, release: PublishPlan["pypi"][number], status: string) {
  return {
    package: release.name,
    ecosystem: "PyPI" as const,
    version: release.version,
    link: pypiLink(redactUrl(plan.pypiIndex), release.name, release.version),
    status,
  };
}

/** Dry run: nothing was published, so the outputs say so; the plan is in the summary and `--json` rows. */
function dryRunRecords(plan: PublishPlan): ReportRecord[] {
  const releasing = new Set([...plan.npm, ...plan.tagOnly].map((release) => release.name));
  const pypi = plan.pypi.filter((release) => release.sourceReleased || releasing.has(release.source));
  return [
    ...plan.npm.map((release) => npmRecord(release, "planned", `would publish (${release.distTag})`)),
    ...plan.tagOnly.map((release) => tagRecord(release, `would tag ${release.gitTag}`, "planned")),
    ...plan.untagged.map((release) =>
      tagRecord(release, `would tag ${release.gitTag} (published earlier, the tag is missing)`, "planned"),
    ),
    ...pypi.map((release) => ({
      ...pypiRow(plan, release, "would hand to the PyPI job"),
      outcome: "planned" as const,
    })),
  ];
}

function finish(report: PublishReport, args: { json: boolean }, io: Io, env: NodeJS.ProcessEnv): void {
  writeOutputs(report, env);
  writeSummary(report, env);
  if (args.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

/** Starts the PyPI job as `--pypi-trigger` says; false when a dispatch failed. */
async function trigger(
  packages: PypiPackage[],
  args: PublishArgs,
  workflow: string | undefined,
  io: Io,
  env: NodeJS.ProcessEnv,
  log: NodeJS.WritableStream,
): Promise<boolean> {
  if (packages.length === 0 || args.pypiTrigger !== "dispatch" || !workflow) return true;
  try {
    const request = await dispatchPypiWorkflow({ workflow, packages, env });
    log.write(
      `polyglot-publish: dispatched ${workflow} on ${request.ref} for ${packages.map((p) => `${p.name} ${p.version}`).join(", ")}\n`,
    );
    return true;
  } catch (error) {
    if (!(error instanceof PolyglotError)) throw error;
    writeError(io.stderr, "polyglot-publish", error);
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
    const text = `[${finding.code}] ${finding.message}${finding.fix ? `\n  fix: ${finding.fix}` : ""}`;
    if (finding.level === "info") {
      stream.write(`info: ${text}\n`);
      continue;
    }
    const where = {
      ...(finding.file ? { file: finding.file } : {}),
      ...(finding.line ? { line: finding.line } : {}),
      title: finding.code,
    };
    annotate(finding.level, text, where, env, stream);
  }
}

async function headCommit(root: string): Promise<string> {
  return (await execa("git", ["rev-parse", "HEAD"], { cwd: root, reject: false })).stdout.trim();
}
