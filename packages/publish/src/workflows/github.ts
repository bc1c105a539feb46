// Static checks of one GitHub Actions workflow that will run the release: each a finding with the line and fix.
import semver from "semver";
import { MIN_OIDC_NPM } from "../npm-cli.js";
import type { Finding } from "../preflight.js";
import { type PublishKind, pinnedNpmVersion, publishesIn, type Scripts } from "./commands.js";
import { asRecord, quoted, type YamlFile, type YamlPath } from "./yaml-file.js";

/** What the checks compare the workflow with: `.changeset/polyglot.json` and the root package.json. */
export interface WorkflowContext {
  scripts: Scripts;
  trustedPublisher?: { workflow: string; environment?: string };
  /** `pypi.workflow`: the file registered with PyPI when the PyPI job is dispatched. */
  pypiWorkflow?: string;
}

/** One job of a workflow as the checks see it. */
export interface Job {
  id: string;
  path: YamlPath;
  body: Record<string, unknown>;
  steps: Step[];
  publishes: Set<PublishKind>;
  environment?: string;
}

export interface Step {
  path: YamlPath;
  uses?: string;
  run?: string;
  with: Record<string, unknown>;
  env: Record<string, unknown>;
}

const UNTRUSTED_TRIGGERS = [
  "pull_request_target",
  "issue_comment",
  "pull_request_review",
  "pull_request_review_comment",
  "discussion",
  "discussion_comment",
  "workflow_run",
];
const PYPI_ACTION = "pypa/gh-action-pypi-publish";

/** The file name of a workflow path (`.github/workflows/release.yml` -> `release.yml`). */
export const fileName = (file: string) => file.slice(file.lastIndexOf("/") + 1);

/** Every job of the workflow, with what it publishes. */
export function jobsOf(workflow: YamlFile, scripts: Scripts): Job[] {
  const jobs = asRecord(asRecord(workflow.data)?.jobs) ?? {};
  return Object.entries(jobs).flatMap(([id, value]) => {
    const body = asRecord(value);
    if (!body) return [];
    const path = ["jobs", id];
    const steps = (Array.isArray(body.steps) ? body.steps : []).flatMap((raw, index): Step[] => {
      const step = asRecord(raw);
      if (!step) return [];
      return [
        {
          path: [...path, "steps", index],
          ...(typeof step.uses === "string" ? { uses: step.uses } : {}),
          ...(typeof step.run === "string" ? { run: step.run } : {}),
          with: asRecord(step.with) ?? {},
          env: asRecord(step.env) ?? {},
        },
      ];
    });
    const environment = environmentName(body.environment);
    return [
      {
        id,
        path,
        body,
        steps,
        publishes: stepsPublish(steps, scripts),
        ...(environment ? { environment } : {}),
      },
    ];
  });
}

function environmentName(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  const name = asRecord(value)?.name;
  return typeof name === "string" ? name : undefined;
}

function stepsPublish(steps: readonly Step[], scripts: Scripts): Set<PublishKind> {
  const kinds = new Set<PublishKind>();
  for (const step of steps) {
    const commands = [step.run, actionCommand(step)].filter((text): text is string => text !== undefined);
    for (const command of commands) for (const kind of publishesIn(command, scripts)) kinds.add(kind);
    if (step.uses?.startsWith(`${PYPI_ACTION}@`)) kinds.add("pypi");
  }
  return kinds;
}

/** The command changesets/action runs: `publish:` (v1) or the publish sub-action's `script:` (v2). */
function actionCommand(step: Step): string | undefined {
  if (!step.uses?.startsWith("changesets/action")) return undefined;
  const command = step.uses.startsWith("changesets/action/publish@") ? step.with.script : step.with.publish;
  return typeof command === "string" ? command : undefined;
}

/** Every finding of one workflow file. */
export function checkGithubWorkflow(
  workflow: YamlFile,
  context: WorkflowContext,
): { publishes: boolean; findings: Finding[] } {
  const top = asRecord(workflow.data) ?? {};
  const jobs = jobsOf(workflow, context.scripts);
  const publishing = jobs.filter((job) => job.publishes.size > 0);
  if (publishing.length === 0) return { publishes: false, findings: [] };
  const at = (path: YamlPath) => ({ file: workflow.file, line: workflow.lineOf(path) });
  const findings: Finding[] = [
    ...triggerFindings(top, at),
    ...workflowPermissionFindings(top, at),
    ...publishing.flatMap((job) => [
      ...idTokenFindings(job, top, at),
      ...tokenFindings(job, top, at),
      ...checkoutFindings(job, at),
      ...npmVersionFindings(job, at),
      ...pypiFindings(job, top, workflow.file, context, at),
    ]),
    ...trustedPublisherFindings(publishing, workflow.file, context, at),
  ];
  return { publishes: true, findings };
}

type At = (path: YamlPath) => { file: string; line: number };

function triggerFindings(top: Record<string, unknown>, at: At): Finding[] {
  const on = top.on;
  const triggers = typeof on === "string" ? [on] : Array.isArray(on) ? on : Object.keys(asRecord(on) ?? {});
  return triggers
    .filter((trigger): trigger is string => UNTRUSTED_TRIGGERS.includes(String(trigger)))
    .map((trigger) => ({
      code: "workflow-untrusted-trigger",
      level: "error",
      message: `a publishing workflow runs on "${quoted(trigger)}", which code from forks or comments can start`,
      fix: "publish from a workflow that runs on push to the release branch (or workflow_dispatch) only; keep pull request checks in another file",
      ...at(Array.isArray(on) || typeof on === "string" ? ["on"] : ["on", trigger]),
    }));
}

function grantsIdToken(permissions: unknown): boolean {
  if (permissions === "write-all") return true;
  return asRecord(permissions)?.["id-token"] === "write";
}

function workflowPermissionFindings(top: Record<string, unknown>, at: At): Finding[] {
  if (!grantsIdToken(top.permissions)) return [];
  const path = top.permissions === "write-all" ? ["permissions"] : ["permissions", "id-token"];
  return [
    {
      code: "workflow-id-token-everywhere",
      level: "warning",
      message:
        "id-token: write is granted at the workflow level, so every job of the file can mint OIDC tokens",
      fix: "set `permissions: {}` at the top and grant `id-token: write` only in the jobs that publish",
      ...at(path),
    },
  ];
}

function idTokenFindings(job: Job, top: Record<string, unknown>, at: At): Finding[] {
  const granted =
    job.body.permissions === undefined ? grantsIdToken(top.permissions) : grantsIdToken(job.body.permissions);
  if (granted) return [];
  const what = [...job.publishes].map((kind) => (kind === "npm" ? "npm" : "PyPI")).join(" and ");
  return [
    {
      code: "workflow-id-token-missing",
      level: "error",
      message: `job "${quoted(job.id)}" publishes to ${what} but has no \`id-token: write\`: trusted publishing (OIDC) cannot get a token`,
      fix: `add \`id-token: write\` under \`permissions:\` of job "${quoted(job.id)}" (job permissions replace the workflow's, so list contents: write there too if the job pushes tags)`,
      ...at(job.body.permissions === undefined ? job.path : [...job.path, "permissions"]),
    },
  ];
}

const TOKEN_NAMES = /^(?:NODE_AUTH_TOKEN|NPM_TOKEN|NPM_AUTH_TOKEN|NPM_CONFIG__AUTH_TOKEN)$/i;
const TOKEN_SECRET = /\bsecrets\.(?:NPM_TOKEN|NODE_AUTH_TOKEN|NPM_AUTH_TOKEN)\b/i;

function tokenFindings(job: Job, top: Record<string, unknown>, at: At): Finding[] {
  if (!job.publishes.has("npm")) return [];
  const findings: Finding[] = [];
  for (const step of job.steps) {
    if (step.uses?.startsWith("actions/setup-node@") && step.with["registry-url"] !== undefined) {
      findings.push({
        code: "workflow-registry-url",
        level: "error",
        message: `setup-node's registry-url in job "${quoted(job.id)}" writes an .npmrc with a placeholder token (\${NODE_AUTH_TOKEN}) that npm sends instead of exchanging the OIDC token`,
        fix: "remove `registry-url` from the setup-node step of the publishing job (trusted publishing needs no .npmrc)",
        ...at([...step.path, "with", "registry-url"]),
      });
    }
  }
  const envs: [YamlPath, unknown][] = [
    [["env"], top.env],
    [[...job.path, "env"], job.body.env],
    ...job.steps.map((step): [YamlPath, unknown] => [[...step.path, "env"], step.env]),
  ];
  for (const [path, env] of envs) {
    for (const [name, value] of Object.entries(asRecord(env) ?? {})) {
      if (!TOKEN_NAMES.test(name) && !TOKEN_SECRET.test(String(value))) continue;
      findings.push({
        code: "workflow-npm-token",
        level: "error",
        message: `${quoted(name)} in the environment of job "${quoted(job.id)}" hands npm a long-lived token; trusted publishing needs none, and npm uses the token when the OIDC exchange fails`,
        fix: `remove ${quoted(name)} from the workflow and delete the NPM_TOKEN secret (Settings -> Secrets and variables -> Actions) once the trusted publishers are set up (polyglot-publish trust)`,
        ...at([...path, name]),
      });
    }
  }
  return findings;
}

function checkoutFindings(job: Job, at: At): Finding[] {
  return job.steps
    .filter(
      (step) => step.uses?.startsWith("actions/checkout@") && step.with["persist-credentials"] !== false,
    )
    .map((step) => ({
      code: "workflow-persist-credentials",
      level: "warning",
      message: `actions/checkout in publishing job "${quoted(job.id)}" leaves the GITHUB_TOKEN in .git/config, where every later step (and package script) can read it`,
      fix: "add `persist-credentials: false` under `with:` of the checkout step",
      ...at([...step.path, "uses"]),
    }));
}

function npmVersionFindings(job: Job, at: At): Finding[] {
  if (!job.publishes.has("npm")) return [];
  return job.steps.flatMap((step): Finding[] => {
    const pinned = step.run === undefined ? undefined : pinnedNpmVersion(step.run);
    const floor = pinned === undefined ? undefined : semver.minVersion(pinned.replace(/^latest$/, "*"));
    const ceiling = pinned === undefined ? undefined : semver.validRange(pinned);
    if (!floor || !ceiling || semver.intersects(ceiling, `>=${MIN_OIDC_NPM}`)) return [];
    return [
      {
        code: "workflow-old-npm",
        level: "error",
        message: `job "${quoted(job.id)}" installs npm@${quoted(pinned)}, older than ${MIN_OIDC_NPM}, the first npm with trusted publishing`,
        fix: `remove the step (polyglot-publish brings an npm >= ${MIN_OIDC_NPM} when the runner's is older) or install npm@latest`,
        ...at([...step.path, "run"]),
      },
    ];
  });
}

function pypiFindings(
  job: Job,
  top: Record<string, unknown>,
  file: string,
  context: WorkflowContext,
  at: At,
): Finding[] {
  if (!job.publishes.has("pypi")) return [];
  const findings: Finding[] = [];
  const on = top.on;
  const reusable =
    on === "workflow_call" ||
    (Array.isArray(on) ? on.includes("workflow_call") : asRecord(on)?.workflow_call !== undefined);
  if (reusable) {
    findings.push({
      code: "workflow-pypi-reusable",
      level: "error",
      message: `job "${quoted(job.id)}" uploads to PyPI from a reusable workflow (on: workflow_call); PyPI's trusted publishing does not work from one`,
      fix: "move the PyPI job into the calling workflow (a `needs:` job gated on the `pypi` output), or start this file with workflow_dispatch (polyglot-publish --pypi-trigger dispatch)",
      ...at(["on"]),
    });
  }
  const registered = context.pypiWorkflow ?? context.trustedPublisher?.workflow;
  if (registered && fileName(file) !== registered) {
    findings.push({
      code: "workflow-pypi-other-file",
      level: "error",
      message: `job "${quoted(job.id)}" uploads to PyPI from ${fileName(file)}, but the PyPI trusted publisher is registered for ${registered}`,
      fix: `upload from ${registered}, or register ${fileName(file)} on PyPI and record it in .changeset/polyglot.json (${context.pypiWorkflow ? "pypi.workflow" : "trustedPublisher.workflow"})`,
      ...at(job.path),
    });
  }
  for (const step of job.steps) {
    if (!step.uses?.startsWith(`${PYPI_ACTION}@`)) continue;
    const ref = step.uses.slice(PYPI_ACTION.length + 1);
    if (!isPinnedRef(ref)) {
      findings.push({
        code: "workflow-pypi-action-unpinned",
        level: "warning",
        message: `${PYPI_ACTION}@${quoted(ref)} follows a moving branch`,
        fix: `use ${PYPI_ACTION}@release/v1 (the maintainers' stable branch), a release tag such as @v1.13.0, or a full commit SHA`,
        ...at([...step.path, "uses"]),
      });
    }
    if (step.with.password !== undefined) {
      findings.push({
        code: "workflow-pypi-password",
        level: "error",
        message: `the PyPI upload in job "${quoted(job.id)}" uses a password (a long-lived API token) instead of trusted publishing`,
        fix: "remove `password:` from the step, register the trusted publisher on PyPI (polyglot-publish trust prints the values), and delete the token secret",
        ...at([...step.path, "with", "password"]),
      });
    }
  }
  return findings;
}

function isPinnedRef(ref: string): boolean {
  return /^[0-9a-f]{40}$/.test(ref) || /^v\d+(\.\d+){0,2}$/.test(ref) || ref === "release/v1";
}

function trustedPublisherFindings(
  publishing: Job[],
  file: string,
  context: WorkflowContext,
  at: At,
): Finding[] {
  const npmJobs = publishing.filter((job) => job.publishes.has("npm"));
  if (npmJobs.length === 0) return [];
  const recorded = context.trustedPublisher;
  if (!recorded) {
    return [
      {
        code: "workflow-trusted-publisher-unrecorded",
        level: "info",
        message: `${fileName(file)} publishes to npm; .changeset/polyglot.json does not record the trusted publisher it was registered as, so its file name and environment cannot be checked`,
        fix: `add "trustedPublisher": { "workflow": "${fileName(file)}"${npmJobs[0]?.environment ? `, "environment": "${npmJobs[0].environment}"` : ""} } to .changeset/polyglot.json, then run polyglot-publish trust`,
        file,
        line: 1,
      },
    ];
  }
  const findings: Finding[] = [];
  if (fileName(file) !== recorded.workflow) {
    findings.push({
      code: "workflow-trusted-publisher-mismatch",
      level: "error",
      message: `${fileName(file)} publishes to npm, but the trusted publisher is registered for the workflow ${recorded.workflow}; npm refuses the OIDC exchange (E404)`,
      fix: `publish from ${recorded.workflow}, or register ${fileName(file)} (polyglot-publish trust) and set trustedPublisher.workflow to "${fileName(file)}"`,
      ...at(npmJobs[0]?.path ?? []),
    });
  }
  for (const job of npmJobs) {
    if (job.environment === recorded.environment) continue;
    findings.push({
      code: "workflow-trusted-publisher-mismatch",
      level: "error",
      message: `job "${quoted(job.id)}" runs in environment ${job.environment === undefined ? "(none)" : quoted(job.environment)}, but the trusted publisher is registered with environment ${recorded.environment ?? "(none)"}; npm refuses the OIDC exchange (E404)`,
      fix: recorded.environment
        ? `add \`environment: ${recorded.environment}\` to job "${quoted(job.id)}"`
        : `remove the environment from job "${quoted(job.id)}", or register it (polyglot-publish trust) and set trustedPublisher.environment`,
      ...at(job.body.environment === undefined ? job.path : [...job.path, "environment"]),
    });
  }
  return findings;
}
