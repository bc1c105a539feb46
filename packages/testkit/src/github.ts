import type { ServerResponse } from "node:http";
import { type GithubCommitInput, GithubData, type GithubPullRequestInput } from "./github-data.js";
import { executeQuery, type GqlValue } from "./github-graphql.js";
import { type RecordedRequest, startHttpServer, type TestServer } from "./http.js";

export type { GithubCommitInput, GithubPullRequestInput } from "./github-data.js";

export type GithubPermissionLevel = "read" | "write" | "none";

/** A token's permissions, as a workflow's `permissions:` block or a fine-grained token grants them. */
export interface GithubTokenOptions {
  permissions: Partial<Record<"actions" | "contents" | "pull-requests" | "id-token", GithubPermissionLevel>>;
}

export interface GithubWorkflowInput {
  repo: string;
  /** File name under `.github/workflows/`, e.g. `publish-pypi.yml`. */
  file: string;
  /** Its `workflow_dispatch` inputs: names, or names with `required`. */
  inputs?: string[] | Record<string, { required?: boolean }>;
  defaultBranch?: string;
  /** Other branches and tags a dispatch may name (`main`, `refs/heads/x`, `v1.0.0`, `refs/tags/v1.0.0`). */
  refs?: string[];
}

export interface GithubDispatch {
  repo: string;
  workflow: string;
  ref: string;
  inputs: Record<string, GqlValue>;
}

export interface GithubApi extends TestServer {
  /** REST base without the trailing slash, for `GITHUB_API_URL`. */
  apiUrl: string;
  /** `<url>graphql`, for `GITHUB_GRAPHQL_URL`. */
  graphqlUrl: string;
  /** Accepted `workflow_dispatch` events. */
  dispatches: GithubDispatch[];
  /** Requests to `/graphql` (so tests can count batches). */
  readonly graphqlRequests: RecordedRequest[];
  addCommit(commit: GithubCommitInput): void;
  addPullRequest(pull: GithubPullRequestInput): void;
  /** Registers a workflow file; returns its numeric id (the dispatch URL takes the id or the file name). */
  addWorkflow(workflow: GithubWorkflowInput): number;
  /**
   * Until the first call every non-empty token is accepted with every permission. After it, only added tokens
   * are accepted (others get 401 "Bad credentials") and each has exactly the permissions given.
   */
  addToken(token: string, options: GithubTokenOptions): void;
  /** The next `times` requests to GraphQL (or to REST, `core`) get GitHub's 403 rate-limit answer. */
  rateLimit(options?: { resource?: "graphql" | "core"; times?: number }): void;
  /** `GITHUB_API_URL`, `GITHUB_GRAPHQL_URL`, `GITHUB_SERVER_URL` and, when given, `GITHUB_TOKEN`. */
  env(token?: string): Record<string, string>;
}

export interface GithubApiOptions {
  /** Base of the web links in answers (commit, PR and user URLs). Default `https://github.com`. */
  serverUrl?: string;
}

interface RegisteredWorkflow {
  id: number;
  repo: string;
  file: string;
  inputs: Map<string, { required: boolean }>;
  refs: Set<string>;
}

const DOCS = "https://docs.github.com/rest";

/** Starts the GitHub stand-in: GraphQL commit/PR lookups and the workflow dispatch endpoint. */
export async function startGithubApi(options: GithubApiOptions = {}): Promise<GithubApi> {
  const serverUrl = options.serverUrl ?? "https://github.com";
  const state: ApiState = {
    data: new GithubData(serverUrl),
    tokens: new Map(),
    workflows: [],
    dispatches: [],
    rateLimited: { graphql: 0, core: 0 },
  };
  const server = await startHttpServer((req, res) => route(req, res, state));
  const apiUrl = server.url.replace(/\/$/, "");
  return {
    ...server,
    apiUrl,
    graphqlUrl: `${server.url}graphql`,
    dispatches: state.dispatches,
    get graphqlRequests() {
      return server.requests.filter((request) => request.path === "/graphql");
    },
    addCommit: (commit) => state.data.addCommit(commit),
    addPullRequest: (pull) => state.data.addPullRequest(pull),
    addWorkflow: (workflow) => registerWorkflow(state, workflow),
    addToken: (token, tokenOptions) => {
      state.tokens.set(token, tokenOptions);
    },
    rateLimit: ({ resource = "graphql", times = 1 } = {}) => {
      state.rateLimited[resource] += times;
    },
    env: (token) => ({
      GITHUB_API_URL: apiUrl,
      GITHUB_GRAPHQL_URL: `${server.url}graphql`,
      GITHUB_SERVER_URL: serverUrl,
      ...(token ? { GITHUB_TOKEN: token } : {}),
    }),
  };
}

interface ApiState {
  data: GithubData;
  tokens: Map<string, GithubTokenOptions>;
  workflows: RegisteredWorkflow[];
  dispatches: GithubDispatch[];
  rateLimited: Record<"graphql" | "core", number>;
}

function registerWorkflow(state: ApiState, workflow: GithubWorkflowInput): number {
  state.data.addRepository(workflow.repo);
  const inputs = Array.isArray(workflow.inputs)
    ? workflow.inputs.map((name): [string, { required: boolean }] => [name, { required: false }])
    : Object.entries(workflow.inputs ?? {}).map(([name, input]): [string, { required: boolean }] => [
        name,
        { required: input.required ?? false },
      ]);
  const id = 1000 + state.workflows.length;
  state.workflows.push({
    id,
    repo: workflow.repo.toLowerCase(),
    file: workflow.file,
    inputs: new Map(inputs),
    refs: new Set([workflow.defaultBranch ?? "main", ...(workflow.refs ?? [])].map(shortRef)),
  });
  return id;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

function route(req: RecordedRequest, res: ServerResponse, state: ApiState): void {
  const resource = req.path === "/graphql" ? "graphql" : "core";
  send(res, resource, answer(req, state, resource));
}

function answer(req: RecordedRequest, state: ApiState, resource: "graphql" | "core"): Reply {
  const token = bearerToken(req.headers.authorization);
  const permissions = token ? permissionsOf(state, token) : undefined;
  if (!token) return error(401, "Requires authentication");
  if (!permissions) return error(401, "Bad credentials");
  if (state.rateLimited[resource] > 0) {
    state.rateLimited[resource] -= 1;
    return rateLimitReply();
  }
  if (resource === "graphql") return req.method === "POST" ? graphql(req, state) : error(404, "Not Found");
  const dispatch = /^\/repos\/([^/]+)\/([^/]+)\/actions\/workflows\/([^/]+)\/dispatches$/.exec(req.path);
  if (dispatch && req.method === "POST") {
    const [, owner = "", name = "", workflowId = ""] = dispatch.map(decodeURIComponent);
    return dispatchWorkflow(state, permissions, `${owner}/${name}`, workflowId, req.body);
  }
  return error(404, "Not Found");
}

/** `Authorization: token <t>` (the classic form) and `Bearer <t>` are both accepted, as by GitHub. */
function bearerToken(header: string | undefined): string | undefined {
  const match = /^(?:token|bearer)\s+(\S+)$/i.exec(header ?? "");
  return match?.[1];
}

function permissionsOf(state: ApiState, token: string): GithubTokenOptions["permissions"] | undefined {
  if (state.tokens.size === 0) return { actions: "write", contents: "write", "pull-requests": "write" };
  return state.tokens.get(token)?.permissions;
}

function graphql(req: RecordedRequest, state: ApiState): Reply {
  let payload: { query?: unknown; variables?: unknown };
  try {
    payload = JSON.parse(req.body.toString("utf8")) as typeof payload;
  } catch {
    return error(400, "Problems parsing JSON");
  }
  if (typeof payload.query !== "string") {
    return {
      status: 200,
      body: { errors: [{ message: "A query attribute must be specified and must be a string." }] },
    };
  }
  const variables = (payload.variables ?? {}) as Record<string, GqlValue>;
  return { status: 200, body: executeQuery(payload.query, state.data.queryRoot(), variables) };
}

function dispatchWorkflow(
  state: ApiState,
  permissions: GithubTokenOptions["permissions"],
  repo: string,
  workflowId: string,
  body: Buffer,
): Reply {
  if (!state.data.hasRepository(repo)) return error(404, "Not Found");
  if (permissions.actions !== "write") return error(403, "Resource not accessible by integration");
  const workflow = state.workflows.find(
    (candidate) =>
      candidate.repo === repo.toLowerCase() &&
      (candidate.file === workflowId || String(candidate.id) === workflowId),
  );
  if (!workflow) return error(404, "Not Found");
  const request = readDispatchBody(body);
  if (typeof request === "string") return error(422, request);
  if (!workflow.refs.has(shortRef(request.ref))) return error(422, `No ref found for: ${request.ref}`);
  const unexpected = Object.keys(request.inputs).filter((name) => !workflow.inputs.has(name));
  if (unexpected.length > 0) return error(422, `Unexpected inputs provided: ${JSON.stringify(unexpected)}`);
  const missing = [...workflow.inputs].find(([name, input]) => input.required && !(name in request.inputs));
  if (missing) return error(422, `Required input '${missing[0]}' not provided`);
  state.dispatches.push({ repo: repo, workflow: workflow.file, ref: request.ref, inputs: request.inputs });
  return { status: 204 };
}

function readDispatchBody(body: Buffer): { ref: string; inputs: Record<string, GqlValue> } | string {
  let payload: { ref?: unknown; inputs?: unknown };
  try {
    payload = JSON.parse(body.toString("utf8") || "{}") as typeof payload;
  } catch {
    return "Problems parsing JSON";
  }
  if (typeof payload.ref !== "string") return 'Invalid request.\n\n"ref" wasn\'t supplied.';
  const inputs = payload.inputs ?? {};
  if (typeof inputs !== "object" || inputs === null || Array.isArray(inputs)) {
    return "Invalid request.\n\nFor 'properties/inputs', the value is not an object.";
  }
  const nested = Object.entries(inputs).find(([, value]) => typeof value === "object" && value !== null);
  if (nested)
    return `Invalid request.\n\nFor 'properties/inputs', "${nested[0]}" is not a string, number or boolean.`;
  return { ref: payload.ref, inputs: inputs as Record<string, GqlValue> };
}

function shortRef(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, "");
}

function error(status: number, message: string): Reply {
  return { status, body: { message, documentation_url: DOCS, status: String(status) } };
}

function rateLimitReply(): Reply {
  const reset = Math.floor(Date.now() / 1000) + 3600;
  return {
    status: 403,
    headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
    body: {
      message: "API rate limit exceeded. See the documentation for how rate limits work.",
      documentation_url: "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
    },
  };
}

function send(res: ServerResponse, resource: "graphql" | "core", reply: Reply): void {
  res.writeHead(reply.status, {
    "x-ratelimit-limit": "5000",
    "x-ratelimit-remaining": "4999",
    "x-ratelimit-resource": resource,
    ...(reply.body === undefined ? {} : { "content-type": "application/json; charset=utf-8" }),
    ...reply.headers,
  });
  res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
}
