import { PolyglotError } from "@polyglot-changesets/core";
import {
  describeFetchError,
  type HttpAnswer,
  httpRequest,
  isObject,
  parseJsonAnswer,
  redactUrl,
} from "./http.js";
import { quoted } from "./lookup.js";
import type { PypiPackage } from "./report.js";

export interface DispatchOptions {
  workflow: string;
  packages: PypiPackage[];
  env: NodeJS.ProcessEnv;
}

export interface DispatchRequest {
  url: string;
  ref: string;
  inputs: { packages: string; tag: string };
}

/**
 * The `workflow_dispatch` of the PyPI workflow: inputs `packages` (the `pypi-packages` JSON) and `tag` (the first
 * package's git tag; every tag of one run points at the same commit), on the ref this job runs for.
 */
export function dispatchRequest(options: DispatchOptions): DispatchRequest {
  const { env } = options;
  const repository = env.GITHUB_REPOSITORY;
  if (!repository) {
    throw new PolyglotError("--pypi-trigger dispatch needs GITHUB_REPOSITORY (owner/name)", {
      code: "pypi-dispatch-no-token",
      setting: "--pypi-trigger",
      fix: "run in GitHub Actions, or set GITHUB_REPOSITORY",
    });
  }
  const api = (env.GITHUB_API_URL || "https://api.github.com").replace(/\/+$/, "");
  const ref = env.GITHUB_REF || env.GITHUB_REF_NAME || "main";
  return {
    url: `${api}/repos/${repository}/actions/workflows/${encodeURIComponent(options.workflow)}/dispatches`,
    ref,
    inputs: { packages: JSON.stringify(options.packages), tag: options.packages[0]?.tag ?? "" },
  };
}

/** Sends the dispatch; a refusal becomes an error that says which setting to fix. */
export async function dispatchPypiWorkflow(options: DispatchOptions): Promise<DispatchRequest> {
  const token = options.env.GITHUB_TOKEN;
  if (!token) {
    throw new PolyglotError("--pypi-trigger dispatch needs GITHUB_TOKEN", {
      code: "pypi-dispatch-no-token",
      setting: "GITHUB_TOKEN",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, shown to the user
      fix: "add `env: { GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }} }` to the publish step and `actions: write` to the job permissions",
    });
  }
  const request = dispatchRequest(options);
  const answer = await sendDispatch(request, token, options.workflow);
  if (answer.status >= 200 && answer.status <= 299) return request;
  const parsed = parseJsonAnswer(answer);
  const said = parsed.ok && isObject(parsed.value) ? parsed.value.message : undefined;
  throw dispatchError(
    answer.status,
    typeof said === "string" ? quoted(said) : "",
    options.workflow,
    request.ref,
  );
}

/**
 * One POST, never retried: a dispatch that reached GitHub before the connection dropped would otherwise start the
 * PyPI workflow twice.
 */
async function sendDispatch(request: DispatchRequest, token: string, workflow: string): Promise<HttpAnswer> {
  try {
    return await httpRequest(request.url, {
      method: "POST",
      retry: false,
      maxBytes: 1024 * 1024,
      headers: {
        accept: "application/vnd.github+json",
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "x-github-api-version": "2022-11-28",
      },
      body: JSON.stringify({ ref: request.ref, inputs: request.inputs }),
    });
  } catch (error) {
    throw new PolyglotError(
      `the dispatch of ${workflow} got no answer from ${redactUrl(request.url)} (${describeFetchError(error)})`,
      {
        code: "pypi-dispatch-failed",
        setting: "GITHUB_API_URL",
        exitCode: 1,
        fix: "check GITHUB_API_URL and GitHub's status, then re-run (the publish itself is done; a re-run only dispatches)",
      },
    );
  }
}

function dispatchError(status: number, message: string, workflow: string, ref: string): PolyglotError {
  const details = { setting: "--pypi-workflow", exitCode: 1 };
  const said = message ? ` (GitHub: ${message})` : "";
  if (status === 404) {
    return new PolyglotError(`workflow ${workflow} not found${said}`, {
      ...details,
      code: "pypi-dispatch-404",
      fix: `commit .github/workflows/${workflow} with an \`on: workflow_dispatch\` trigger to the default branch (and to ${ref}), or fix --pypi-workflow / pypi.workflow`,
    });
  }
  if (status === 403 || status === 401) {
    return new PolyglotError(`GitHub refused the dispatch of ${workflow}${said}`, {
      ...details,
      code: "pypi-dispatch-403",
      setting: "GITHUB_TOKEN",
      fix: "give the job `permissions: { actions: write }` (the GITHUB_TOKEN needs actions: write to dispatch workflows)",
    });
  }
  if (status === 422) {
    return new PolyglotError(`GitHub rejected the dispatch of ${workflow}${said}`, {
      ...details,
      code: "pypi-dispatch-422",
      fix: `declare the inputs \`packages\` and \`tag\` under \`on: workflow_dispatch: inputs:\` in ${workflow} (no other required inputs), and make sure ${ref} exists on GitHub`,
    });
  }
  return new PolyglotError(`GitHub answered ${status} to the dispatch of ${workflow}${said}`, {
    ...details,
    code: "pypi-dispatch-failed",
    fix: "check GITHUB_API_URL and GitHub's status, then re-run (the publish itself is done; a re-run only dispatches)",
  });
}
