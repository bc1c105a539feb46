// Static checks of `.gitlab-ci.yml`: the jobs that publish need `id_tokens` (npm reads NPM_ID_TOKEN, the PyPI
// upload PYPI_ID_TOKEN) and no long-lived npm token; the file and environment must match the trusted publisher.
import type { Finding } from "../preflight.js";
import { type PublishKind, publishesIn } from "./commands.js";
import type { WorkflowContext } from "./github.js";
import { asRecord, quoted, type YamlFile, type YamlPath } from "./yaml-file.js";

const RESERVED = new Set([
  "stages",
  "variables",
  "default",
  "include",
  "workflow",
  "image",
  "services",
  "before_script",
  "after_script",
  "cache",
  "spec",
]);
const ID_TOKEN_VARIABLE: Record<PublishKind, string> = { npm: "NPM_ID_TOKEN", pypi: "PYPI_ID_TOKEN" };
const TOKEN_NAMES = /^(?:NODE_AUTH_TOKEN|NPM_TOKEN|NPM_AUTH_TOKEN|NPM_CONFIG__AUTH_TOKEN)$/i;

interface GitlabJob {
  id: string;
  body: Record<string, unknown>;
  publishes: Set<PublishKind>;
  environment?: string;
}

function scriptText(body: Record<string, unknown>): string {
  return ["before_script", "script", "after_script"]
    .flatMap((key) => {
      const value = body[key];
      return Array.isArray(value) ? value.map(String) : typeof value === "string" ? [value] : [];
    })
    .join("\n");
}

function jobsOf(pipeline: YamlFile, context: WorkflowContext): GitlabJob[] {
  return Object.entries(asRecord(pipeline.data) ?? {}).flatMap(([id, value]) => {
    const body = asRecord(value);
    if (!body || RESERVED.has(id) || id.startsWith(".")) return [];
    const env = body.environment;
    const environment = typeof env === "string" ? env : asRecord(env)?.name;
    return [
      {
        id,
        body,
        publishes: publishesIn(scriptText(body), context.scripts),
        ...(typeof environment === "string" ? { environment } : {}),
      },
    ];
  });
}

/** Every finding of `.gitlab-ci.yml`. */
export function checkGitlabPipeline(
  pipeline: YamlFile,
  context: WorkflowContext,
): { publishes: boolean; findings: Finding[] } {
  const at = (path: YamlPath) => ({ file: pipeline.file, line: pipeline.lineOf(path) });
  const publishing = jobsOf(pipeline, context).filter((job) => job.publishes.size > 0);
  const globals = asRecord(asRecord(pipeline.data)?.variables) ?? {};
  const findings: Finding[] = [];
  for (const job of publishing) {
    const tokens = asRecord(job.body.id_tokens) ?? {};
    for (const kind of job.publishes) {
      const variable = ID_TOKEN_VARIABLE[kind];
      if (tokens[variable] !== undefined) continue;
      findings.push({
        code: "workflow-id-token-missing",
        level: "error",
        message: `job "${quoted(job.id)}" publishes to ${kind === "npm" ? "npm" : "PyPI"} but declares no ${variable} under id_tokens: trusted publishing cannot get a token`,
        fix: `add \`id_tokens: { ${variable}: { aud: ${kind === "npm" ? '"npm:registry.npmjs.org"' : "pypi"} } }\` to job "${quoted(job.id)}"`,
        ...at("id_tokens" in job.body ? [job.id, "id_tokens"] : [job.id]),
      });
    }
    if (!job.publishes.has("npm")) continue;
    const variables: [YamlPath, Record<string, unknown>][] = [
      [["variables"], globals],
      [[job.id, "variables"], asRecord(job.body.variables) ?? {}],
    ];
    for (const [path, entries] of variables) {
      for (const name of Object.keys(entries).filter((key) => TOKEN_NAMES.test(key))) {
        findings.push({
          code: "workflow-npm-token",
          level: "error",
          message: `${quoted(name)} in the variables of job "${quoted(job.id)}" hands npm a long-lived token; trusted publishing needs none`,
          fix: `remove ${quoted(name)} from .gitlab-ci.yml and delete the CI/CD variable once the trusted publishers are set up (polyglot-publish trust)`,
          ...at([...path, name]),
        });
      }
    }
    const recorded = context.trustedPublisher;
    if (recorded && (recorded.workflow !== ".gitlab-ci.yml" || recorded.environment !== job.environment)) {
      findings.push({
        code: "workflow-trusted-publisher-mismatch",
        level: "error",
        message: `job "${quoted(job.id)}" publishes from .gitlab-ci.yml in environment ${job.environment === undefined ? "(none)" : quoted(job.environment)}, but the trusted publisher is registered for ${recorded.workflow} in environment ${recorded.environment ?? "(none)"}`,
        fix: "make trustedPublisher in .changeset/polyglot.json and the registered publisher (polyglot-publish trust) match the pipeline file and the job's environment",
        ...at([job.id]),
      });
    }
  }
  return { publishes: publishing.length > 0, findings };
}
