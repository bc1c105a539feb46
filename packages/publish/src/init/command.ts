// `polyglot-publish init [--ci github|gitlab] [--dry-run]`: detect, plan, print, then write (unless --dry-run).
import { mkdirSync } from "node:fs";
import path from "node:path";
import { PolyglotError, RepoFiles } from "@polyglot-changesets/core";
import type { InitArgs, OnboardingIo } from "../onboarding-args.js";
import { detect } from "./detect.js";
import { type FileChange, type InitPlan, patchOf, planInit } from "./plan.js";

export async function initCommand(args: InitArgs, io: OnboardingIo): Promise<number> {
  const detection = await detect(args.cwd);
  const repo = new RepoFiles(detection.root);
  const ci =
    args.ci ??
    (repo.read(".gitlab-ci.yml") !== undefined && detection.ciFiles.every((f) => f.file === ".gitlab-ci.yml")
      ? "gitlab"
      : "github");
  const plan = planInit(detection, ci, (file) => repo.read(file));
  const out = args.json ? io.stderr : io.stdout;
  if (!args.dryRun) writePlan(repo, plan.writes);
  out.write(report(plan, args.dryRun));
  if (args.json) io.stdout.write(`${JSON.stringify(jsonReport(plan, args.dryRun), null, 2)}\n`);
  return 0;
}

/** Every path is checked inside the repo before the first byte is written. */
function writePlan(repo: RepoFiles, writes: readonly FileChange[]): void {
  for (const change of writes) {
    repo.resolve(change.file);
    if (change.before !== undefined) repo.assertWritable(change.file);
  }
  for (const change of writes) {
    mkdirSync(path.dirname(path.join(repo.root, change.file)), { recursive: true });
    try {
      repo.write(change.file, change.after);
    } catch (error) {
      throw new PolyglotError(`cannot write ${change.file}: ${(error as Error).message}`, {
        code: "init-write-failed",
        file: change.file,
        fix: "make the file and its folder writable, then run polyglot-publish init again (it only writes what is missing)",
        exitCode: 1,
      });
    }
  }
}

export function report(plan: InitPlan, dryRun: boolean): string {
  const lines: string[] = [`polyglot-publish init: ${plan.notes[0] ?? ""}`];
  for (const note of plan.notes.slice(1)) lines.push(`  ${note}`);
  if (plan.writes.length === 0 && plan.patches.length === 0)
    lines.push("nothing to write: the repo is set up");
  for (const change of plan.writes) {
    const verb = dryRun
      ? change.before === undefined
        ? "would write"
        : "would update"
      : change.before === undefined
        ? "wrote"
        : "updated";
    lines.push(`${verb} ${change.file}`);
    for (const what of change.what) lines.push(`  ${what}`);
    if (dryRun) lines.push(dryRunBody(change));
  }
  if (plan.questions.length > 0) {
    lines.push("", "to decide:");
    for (const question of plan.questions) lines.push(`  - ${question}`);
  }
  if (plan.deletions.length > 0) {
    lines.push("", "delete once the new release workflow works:");
    for (const deletion of plan.deletions) lines.push(`  - ${deletion}`);
  }
  lines.push(
    "",
    "next: polyglot-publish trust (creates the npm trusted publishers; prints the PyPI and crates.io values), then open a PR",
  );
  for (const change of plan.patches) {
    lines.push(
      "",
      `${change.file} exists and differs from the release workflow init writes; it is not overwritten.`,
      "Review and apply this patch (save it to a file, then: git apply FILE):",
      "",
      patchOf(change).trimEnd(),
    );
  }
  return `${lines.join("\n")}\n`;
}

function dryRunBody(change: FileChange): string {
  if (change.before === undefined) return change.after.replace(/^/gm, "  | ").trimEnd();
  return patchOf(change).trimEnd();
}

function jsonReport(plan: InitPlan, dryRun: boolean) {
  return {
    dryRun,
    writes: plan.writes.map((change) => ({
      file: change.file,
      created: change.before === undefined,
      changes: change.what,
    })),
    patches: plan.patches.map((change) => ({ file: change.file, patch: patchOf(change) })),
    deletions: plan.deletions,
    questions: plan.questions,
    notes: plan.notes,
  };
}
