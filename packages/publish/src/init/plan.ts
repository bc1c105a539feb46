// init as data: every file it would write, the patches it prints instead of overwriting a CI file, and what the
// user should delete by hand. Nothing is written here; `applyInit` writes the plan (all files checked first).
import { createTwoFilesPatch } from "diff";
import jsonc from "jsonc-parser";
import { publishesIn } from "../workflows/commands.js";
import { jobsOf } from "../workflows/index.js";
import type { Detection, Project } from "./detect.js";
import { githubReleaseWorkflow, gitlabPipeline } from "./templates.js";

export type CiKind = "github" | "gitlab";

/** A file init writes: `before` is undefined for a new file. */
export interface FileChange {
  file: string;
  before?: string;
  after: string;
  /** What changed, for the report (e.g. `scripts.release: polyglot-publish`). */
  what: string[];
}

export interface InitPlan {
  writes: FileChange[];
  /** Existing CI files that differ from what init would write: printed as a patch, never overwritten. */
  patches: FileChange[];
  /** What the user should delete once the new release works. */
  deletions: string[];
  /** Choices init cannot make (a project whose source npm package is unclear). */
  questions: string[];
  /** What init found and decided, one line each. */
  notes: string[];
}

export const POLYGLOT_SCHEMA_URL = "https://unpkg.com/@polyglot-changesets/core/src/polyglot.schema.json";
const CHANGESETS_SCHEMA_URL = "https://unpkg.com/@changesets/config@3.1.1/schema.json";
const CHANGELOG = "@polyglot-changesets/changelog";
const TOOLS = ["@changesets/cli", "@polyglot-changesets/version", "@polyglot-changesets/publish", CHANGELOG];
const DEFAULT_ENVIRONMENT = "npm";

export function planInit(
  detection: Detection,
  ci: CiKind,
  read: (file: string) => string | undefined,
): InitPlan {
  const plan: InitPlan = { writes: [], patches: [], deletions: [], questions: [], notes: [] };
  const follows = detection.projects.filter(({ follow }) => follow.kind === "follow");
  const bridges = detection.projects.filter(({ follow }) => follow.kind === "bridge");
  const recorded = detection.config.trustedPublisher;
  const workflow = recorded?.workflow ?? (ci === "github" ? "release.yml" : ".gitlab-ci.yml");
  const environment = recorded ? recorded.environment : DEFAULT_ENVIRONMENT;
  plan.notes.push(describeWorkspace(detection), ...detection.skipped);
  for (const { project, follow } of detection.projects) {
    const label = `${project.dir} (${project.name})`;
    if (follow.kind === "question") {
      plan.questions.push(
        `which npm package should ${label} follow? Add { "path": "${project.dir}", "versionFrom": "<one of ${follow.choices.join(", ")}>" } to "targets" in .changeset/polyglot.json (or give the folder a private package.json: a bridge), then run polyglot-publish init again`,
      );
    } else {
      const why =
        follow.kind === "follow"
          ? follow.reason
          : follow.kind === "bridge"
            ? "bridge: its own package.json"
            : "configured";
      plan.notes.push(`${label} follows ${follow.source} (${why})`);
    }
  }
  addChange(plan, read, ".changeset/polyglot.json", (text) =>
    polyglotJson(
      text,
      follows.map(({ project, follow }) => ({ project, source: (follow as { source: string }).source })),
      {
        workflow,
        ...(environment ? { environment } : {}),
      },
    ),
  );
  addChange(plan, read, ".changeset/config.json", (text) =>
    changesetsConfig(text, detection, bridges.length > 0),
  );
  addChange(plan, read, "package.json", (text) => rootScripts(text));
  const options = {
    packageManager: detection.packageManager,
    ...(environment ? { environment } : {}),
    pypiProjects: detection.projects
      .filter(({ project, follow }) => project.ecosystem === "pypi" && follow.kind !== "question")
      .map(({ project }) => ({ name: project.name, dir: project.dir })),
    build:
      typeof (detection.rootPackageJson.scripts as Record<string, unknown> | undefined)?.build === "string",
  };
  const ciFile = ci === "github" ? `.github/workflows/${workflow}` : ".gitlab-ci.yml";
  const ciText = ci === "github" ? githubReleaseWorkflow(options) : gitlabPipeline(options);
  const existing = read(ciFile);
  if (existing === undefined)
    plan.writes.push({ file: ciFile, after: ciText, what: ["the release workflow"] });
  else if (existing !== ciText && !passesDoctor(detection, ciFile))
    plan.patches.push({ file: ciFile, before: existing, after: ciText, what: [] });
  else if (existing !== ciText)
    plan.notes.push(
      `${ciFile} is kept: it passes doctor --workflows (init's workflow would differ; a patch is printed only for a workflow with findings)`,
    );
  if (detection.projects.some(({ project }) => project.ecosystem === "cargo") && existing === undefined)
    plan.notes.push(
      "the release workflow init writes publishes npm and PyPI; add a job that publishes the crates (see examples/x0x)",
    );
  plan.deletions.push(...deletions(detection, ciFile));
  const missing = TOOLS.filter((tool) => !hasDependency(detection.rootPackageJson, tool));
  if (missing.length > 0)
    plan.notes.push(`install the tools first: ${addCommand(detection)} ${missing.join(" ")}`);
  return plan;
}

/** The existing CI file publishes and has no error or warning finding: init leaves it alone. */
function passesDoctor(detection: Detection, file: string): boolean {
  const parsed = detection.ciFiles.find((entry) => entry.file === file);
  const scripts = (detection.rootPackageJson.scripts ?? {}) as Record<string, string>;
  const publishes =
    parsed !== undefined && !parsed.error && jobsOf(parsed, scripts).some((job) => job.publishes.size > 0);
  return (
    publishes &&
    !detection.ciFindings.some(
      (finding) => finding.file === file && (finding.level === "error" || finding.level === "warning"),
    )
  );
}

function describeWorkspace(detection: Detection): string {
  const count = (ecosystem: Project["ecosystem"]) =>
    detection.projects.filter(({ project }) => project.ecosystem === ecosystem).length;
  const publishable = detection.packages.filter((pkg) => !pkg.private).length;
  return `${detection.packageManager} workspace: ${detection.packages.length} npm packages (${publishable} published), ${count("pypi")} Python project(s), ${count("cargo")} Cargo crate(s)${detection.repository ? `, repository ${detection.repository}` : ""}`;
}

function addChange(
  plan: InitPlan,
  read: (file: string) => string | undefined,
  file: string,
  edit: (text: string | undefined) => { text: string; what: string[] },
): void {
  const before = read(file);
  const { text, what } = edit(before);
  if (text === before) return;
  plan.writes.push({ file, ...(before === undefined ? {} : { before }), after: text, what });
}

/** Formatting of an existing JSON file (indent), so edits keep it. */
function formatting(text: string): jsonc.FormattingOptions {
  const indent = /\n([ \t]+)"/.exec(text)?.[1] ?? "  ";
  return {
    insertSpaces: !indent.includes("\t"),
    tabSize: indent.includes("\t") ? 1 : indent.length,
    eol: text.includes("\r\n") ? "\r\n" : "\n",
  };
}

function setJson(text: string, path: jsonc.JSONPath, value: unknown): string {
  return jsonc.applyEdits(text, jsonc.modify(text, path, value, { formattingOptions: formatting(text) }));
}

function polyglotJson(
  text: string | undefined,
  follows: { project: Project; source: string }[],
  trustedPublisher: { workflow: string; environment?: string },
): { text: string; what: string[] } {
  let next = text ?? `{\n  "$schema": "${POLYGLOT_SCHEMA_URL}"\n}\n`;
  const current = (jsonc.parse(next) ?? {}) as { targets?: { path: string }[]; trustedPublisher?: unknown };
  const what: string[] = [];
  const targets = current.targets ?? [];
  for (const { project, source } of follows) {
    if (targets.some((target) => target.path === project.dir)) continue;
    const target = {
      path: project.dir,
      versionFrom: source,
      ...(project.versionFiles.length > 0 ? { versionFiles: project.versionFiles } : {}),
      ...(project.ecosystem === "pypi" ? { changelog: true } : {}),
    };
    next = setJson(next, ["targets", targets.length], target);
    targets.push(target);
    what.push(`targets: ${project.dir} follows ${source}`);
  }
  if (current.trustedPublisher === undefined) {
    next = setJson(next, ["trustedPublisher"], trustedPublisher);
    what.push(`trustedPublisher: ${JSON.stringify(trustedPublisher)}`);
  }
  return { text: next, what };
}

function changesetsConfig(
  text: string | undefined,
  detection: Detection,
  bridges: boolean,
): { text: string; what: string[] } {
  const changelog = detection.repository ? [CHANGELOG, { repo: detection.repository }] : CHANGELOG;
  const what: string[] = [];
  let next = text;
  if (next === undefined) {
    const scoped = detection.packages.some((pkg) => !pkg.private && pkg.name.startsWith("@"));
    next = `${JSON.stringify(
      {
        $schema: CHANGESETS_SCHEMA_URL,
        changelog,
        commit: false,
        fixed: [],
        linked: [],
        access: scoped ? "public" : "restricted",
        baseBranch: "main",
        updateInternalDependencies: "patch",
        ignore: [],
      },
      null,
      2,
    )}\n`;
    what.push("a Changesets config with the suite's changelog generator");
  }
  const current = (jsonc.parse(next) ?? {}) as { changelog?: unknown; privatePackages?: unknown };
  const named = Array.isArray(current.changelog) ? current.changelog[0] : current.changelog;
  if (named !== CHANGELOG) {
    next = setJson(next, ["changelog"], changelog);
    what.push(`changelog: ${JSON.stringify(changelog)}`);
  }
  if (bridges && current.privatePackages === undefined) {
    next = setJson(next, ["privatePackages"], { version: true, tag: true });
    what.push('privatePackages: { "version": true, "tag": true } (bridge folders are private packages)');
  }
  return { text: next, what };
}

function rootScripts(text: string | undefined): { text: string; what: string[] } {
  let next = text ?? "{}\n";
  const scripts = ((jsonc.parse(next) ?? {}) as { scripts?: Record<string, unknown> }).scripts ?? {};
  const what: string[] = [];
  for (const [name, command] of [
    ["version-packages", "polyglot-version"],
    ["release", "polyglot-publish"],
  ] as const) {
    if (scripts[name] === command) continue;
    next = setJson(next, ["scripts", name], command);
    what.push(
      `scripts.${name}: ${command}${scripts[name] === undefined ? "" : ` (was ${JSON.stringify(scripts[name])})`}`,
    );
  }
  return { text: next, what };
}

function deletions(detection: Detection, ciFile: string): string[] {
  const list: string[] = [];
  for (const script of detection.syncScripts) {
    list.push(
      `${script.file}: a hand-written version sync${script.writes ? ` of ${script.writes}` : ""} (polyglot-version does it)`,
    );
    if (script.scriptName) list.push(`package.json script "${script.scriptName}" (runs ${script.file})`);
  }
  const scripts = (detection.rootPackageJson.scripts ?? {}) as Record<string, unknown>;
  for (const [name, command] of Object.entries(scripts)) {
    if (name === "release" || typeof command !== "string") continue;
    if (publishesIn(command, {}).has("npm"))
      list.push(
        `package.json script "${name}" (publishes with a token: "${command}"; polyglot-publish replaces it)`,
      );
  }
  const tokenFiles = new Set<string>();
  for (const finding of detection.ciFindings) {
    const where = `${finding.file}:${finding.line}`;
    if (finding.code === "workflow-registry-url") list.push(`setup-node's registry-url at ${where}`);
    if (finding.code === "workflow-npm-token") list.push(`the npm token at ${where}`);
    if (finding.code === "workflow-registry-url" || finding.code === "workflow-npm-token")
      tokenFiles.add(finding.file ?? "");
  }
  for (const file of tokenFiles) {
    if (file !== ciFile) list.push(`${file}: a token-based release workflow (${ciFile} replaces it)`);
  }
  if (detection.ciFindings.some((finding) => finding.code === "workflow-npm-token"))
    list.push(
      "the NPM_TOKEN secret (GitHub: Settings -> Secrets and variables -> Actions; GitLab: Settings -> CI/CD -> Variables), once polyglot-publish trust has set up the trusted publishers",
    );
  return list;
}

function hasDependency(packageJson: Record<string, unknown>, name: string): boolean {
  return ["dependencies", "devDependencies"].some(
    (field) => (packageJson[field] as Record<string, unknown> | undefined)?.[name] !== undefined,
  );
}

function addCommand(detection: Detection): string {
  if (detection.packageManager === "pnpm") return "pnpm add -Dw";
  if (detection.packageManager === "yarn") return "yarn add -D";
  return "npm i -D";
}

/** A patch `git apply` takes: `diff --git` header, a/ b/ paths. */
export function patchOf(change: FileChange): string {
  const patch = createTwoFilesPatch(
    `a/${change.file}`,
    `b/${change.file}`,
    change.before ?? "",
    change.after,
    "",
    "",
    {
      context: 3,
    },
  );
  const body = patch.slice(patch.indexOf("--- "));
  return `diff --git a/${change.file} b/${change.file}\n${body.replace(/^(---|\+\+\+) (\S+)\t$/gm, "$1 $2")}`;
}
