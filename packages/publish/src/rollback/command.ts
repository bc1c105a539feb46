import { appendSummary, type Io, loadWorkspace, PolyglotError } from "@polyglot-changesets/core";
import { execa } from "execa";
import type { RollbackArgs } from "../args.js";
import { redactSecrets, redactUrl, rememberSecrets } from "../http.js";
import { bundledNpm } from "../npm-cli.js";
import { NpmConfig, readNpmrcFiles } from "../npmrc.js";
import { cell } from "../report.js";
import { secretValues } from "../tokens.js";
import { planRollback, type RollbackPlan, type RollbackStep } from "./plan.js";
import { resolveRelease } from "./release.js";

interface StepResult {
  step: RollbackStep;
  outcome: "done" | "failed" | "manual" | "skipped" | "planned";
  output?: string;
}

/** `polyglot-publish rollback <version-or-tag>`: plan, print, and (without --dry-run) run each step. */
export async function rollbackCommand(args: RollbackArgs, io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const log = args.json ? io.stderr : io.stdout;
  const workspace = await loadWorkspace(args.cwd);
  rememberSecrets(secretValues(env, readNpmrcFiles(workspace.root, env)));
  const publishable = workspace.packages.filter((pkg) => !pkg.private);
  const single = workspace.packages.length === 1 ? workspace.packages[0]?.name : undefined;
  const packages = await resolveRelease(
    workspace.root,
    args.target,
    (name) => workspace.packages.some((pkg) => pkg.name === name),
    single ?? (publishable.length === 1 ? publishable[0]?.name : undefined),
  );
  const plan = await planRollback({
    workspace,
    target: args.target,
    packages,
    ...(args.message ? { message: args.message } : {}),
    unpublish: args.unpublish,
    env: env,
  });
  log.write(planText(plan, args.dryRun));
  if (plan.steps.every((step) => step.action === "skip")) {
    throw new PolyglotError(`nothing to roll back: no registry holds ${args.target}`, {
      code: "rollback-nothing-to-undo",
      setting: "<version-or-tag>",
      fix: "check the version or tag (git tag --list), and the registry in .npmrc / publishConfig",
    });
  }
  if (args.dryRun) {
    finish(
      plan,
      plan.steps.map((step) => ({ step, outcome: step.command ? "planned" : manualOrSkip(step) })),
      args,
      io,
      env,
    );
    return 0;
  }
  requireNpmCredentials(plan, workspace.root, env);
  const results: StepResult[] = [];
  for (const step of plan.steps) {
    if (!step.command) {
      results.push({ step, outcome: manualOrSkip(step) });
      continue;
    }
    const result = await runStep(step, workspace.root, env);
    results.push(result);
    log.write(
      result.outcome === "done"
        ? `polyglot-publish: done: ${step.action} ${step.package}@${step.version}\n`
        : `polyglot-publish: error: ${step.action} ${step.package}@${step.version} failed: ${result.output}\n`,
    );
  }
  finish(plan, results, args, io, env);
  return results.some((result) => result.outcome === "failed") ? 1 : 0;
}

function manualOrSkip(step: RollbackStep): StepResult["outcome"] {
  return step.action === "skip" ? "skipped" : "manual";
}

/** npm writes need a login or a write token: said before anything runs, so nothing is half done. */
function requireNpmCredentials(plan: RollbackPlan, root: string, env: NodeJS.ProcessEnv): void {
  const config = new NpmConfig(readNpmrcFiles(root, env), env);
  const registries = new Set(
    plan.steps.filter((step) => step.ecosystem === "npm" && step.command).map((step) => registryOf(step)),
  );
  const missing = [...registries].filter((registry) => {
    const authorization = config.authorizationFor(registry);
    return authorization === undefined || /\$\{[^}]*\}/.test(authorization);
  });
  if (missing.length === 0) return;
  throw new PolyglotError(
    `rolling back on npm needs credentials for ${missing.map(redactUrl).join(", ")}: deprecate, dist-tag and unpublish cannot use the OIDC token of trusted publishing`,
    {
      code: "rollback-needs-login",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the .npmrc line, as the user writes it
      fix: "run it from a maintainer's machine after `npm login` (2FA prompts for a code), or with a granular access token with write access in .npmrc (`//registry.npmjs.org/:_authToken=${NPM_TOKEN}`); `--dry-run` shows the plan without credentials",
    },
  );
}

function registryOf(step: RollbackStep): string {
  const flag = step.command?.find((arg) => arg.startsWith("--registry="));
  return flag ? flag.slice("--registry=".length) : "";
}

async function runStep(step: RollbackStep, root: string, env: NodeJS.ProcessEnv): Promise<StepResult> {
  const [command = "", ...rest] = step.command ?? [];
  const argv = command === "npm" ? [process.execPath, bundledNpm().cli, ...rest] : [command, ...rest];
  const [file = "", ...fileArgs] = argv;
  const result = await execa(file, fileArgs, {
    cwd: root,
    env,
    extendEnv: false,
    reject: false,
    all: true,
    // A person at a terminal answers npm's 2FA prompt; in CI there is no terminal.
    stdin: process.stdin.isTTY ? "inherit" : "ignore",
    timeout: 300_000,
  });
  if (result.exitCode === 0) return { step, outcome: "done" };
  const lines = (result.all ?? "").split("\n").filter((line) => /error|ERR!/i.test(line));
  return {
    step,
    outcome: "failed",
    output: redactSecrets(lines.slice(-3).join(" ").replace(/\s+/g, " ").trim() || `exit ${result.exitCode}`),
  };
}

/** The plan as lines: each step's command (or URL), then the advice. */
export function planText(plan: RollbackPlan, dryRun: boolean): string {
  const who = plan.packages.map((entry) => `${entry.name}@${entry.version}`).join(", ");
  const lines = [`polyglot-publish: rollback of ${who}${dryRun ? " (dry run: nothing is changed)" : ""}:`];
  plan.steps.forEach((step, at) => {
    const what = step.command ? `$ ${shownCommand(step).map(shellWord).join(" ")}` : (step.url ?? "");
    lines.push(`  ${at + 1}. [${step.ecosystem}] ${step.detail}`);
    if (what) lines.push(`     ${what}`);
  });
  if (plan.steps.length === 0) lines.push("  nothing on a registry belongs to this release");
  lines.push(...plan.advice.map((line) => `  note: ${line}`));
  return `${lines.join("\n")}\n`;
}

/** The command as printed: a registry URL's credentials (npm accepts `https://user:pass@host/`) never shown. */
function shownCommand(step: RollbackStep): string[] {
  return (step.command ?? []).map((arg) =>
    arg.startsWith("--registry=") ? `--registry=${redactUrl(arg.slice("--registry=".length))}` : arg,
  );
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

function finish(
  plan: RollbackPlan,
  results: StepResult[],
  args: RollbackArgs,
  io: Io,
  env: NodeJS.ProcessEnv,
): void {
  if (env.GITHUB_STEP_SUMMARY) appendSummary(summary(plan, results, args.dryRun), env);
  if (args.json) {
    const steps = results.map(({ step, outcome, output }) => ({
      ...step,
      ...(step.command ? { command: shownCommand(step) } : {}),
      outcome,
      ...(output ? { output } : {}),
    }));
    io.stdout.write(
      `${JSON.stringify({ target: plan.target, packages: plan.packages, steps, advice: plan.advice, "dry-run": args.dryRun }, null, 2)}\n`,
    );
  }
}

function summary(plan: RollbackPlan, results: StepResult[], dryRun: boolean): string {
  const rows = results.map(
    ({ step, outcome }) =>
      `| ${cell(step.package)} | ${step.ecosystem} | ${cell(step.version)} | ${step.action} | ${outcome} | ${cell(step.url ?? "")} |`,
  );
  return [
    `### polyglot-publish rollback${dryRun ? " (dry run)" : ""}`,
    "",
    "| Package | Ecosystem | Version | Step | Outcome | Where |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    ...plan.advice.map((line) => `- ${cell(line)}`),
    "",
  ].join("\n");
}
