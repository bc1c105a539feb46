import {
  type RecordedRequest,
  sendJson,
  startHttpServer,
  type TestServer,
} from "@polyglot-changesets/testkit";

// A minimal stand-in for GitHub's GraphQL endpoint, answering the batched queries of @changesets/get-github-info
// v1 (`repo__N: repository(owner, name) { commit__SHA: object(expression) ... pull__N: pullRequest(number) }`).
// testkit's startGithubApi() had not landed when these tests were written; the surface mirrors it.

interface User {
  login: string;
  url: string;
}

interface CommitRecord {
  author: string;
  pr?: number;
}

interface PullRecord {
  author: string;
  mergeCommitSha: string;
}

export interface GithubGraphql extends TestServer {
  graphqlUrl: string;
  /** The POSTs to /graphql that were answered (faulted ones are not recorded). */
  graphqlRequests(): RecordedRequest[];
  addCommit(commit: { repo: string; sha: string; author: string; pr?: number }): void;
  addPullRequest(pull: { repo: string; number: number; author: string; mergeCommitSha: string }): void;
}

const SERVER = "https://github.com";
const FIELD =
  /repo__(\d+): repository\(\s*owner: ("[^"]*"),\s*name: ("[^"]*")\s*\)|(commit__\w+): object\(expression: ("[^"]*")\)|(pull__\d+): pullRequest\(number: (\d+)\)/g;

function user(login: string): User {
  return { login, url: `${SERVER}/${login}` };
}

export async function startGithubGraphql(): Promise<GithubGraphql> {
  const commits = new Map<string, CommitRecord>();
  const pulls = new Map<string, PullRecord>();

  function commitNode(repo: string, sha: string) {
    const record = commits.get(`${repo}@${sha}`);
    if (!record) return null;
    const pull = record.pr === undefined ? undefined : pulls.get(`${repo}#${record.pr}`);
    return {
      commitUrl: `${SERVER}/${repo}/commit/${sha}`,
      associatedPullRequests: {
        nodes: pull
          ? [
              {
                number: record.pr,
                url: `${SERVER}/${repo}/pull/${record.pr}`,
                mergedAt: "2026-01-01T00:00:00Z",
                author: user(pull.author),
              },
            ]
          : [],
      },
      author: { user: user(record.author) },
    };
  }

  function pullNode(repo: string, number: number) {
    const record = pulls.get(`${repo}#${number}`);
    if (!record) return null;
    return {
      url: `${SERVER}/${repo}/pull/${number}`,
      author: user(record.author),
      mergeCommit: {
        commitUrl: `${SERVER}/${repo}/commit/${record.mergeCommitSha}`,
        abbreviatedOid: record.mergeCommitSha.slice(0, 7),
      },
    };
  }

  function answer(query: string) {
    const data: Record<string, Record<string, unknown>> = {};
    let repoKey = "";
    let repo = "";
    for (const match of query.matchAll(FIELD)) {
      if (match[1] !== undefined) {
        repoKey = `repo__${match[1]}`;
        repo = `${JSON.parse(match[2] ?? '""')}/${JSON.parse(match[3] ?? '""')}`;
        data[repoKey] = {};
      } else if (match[4] !== undefined) {
        data[repoKey]![match[4]] = commitNode(repo, JSON.parse(match[5] ?? '""'));
      } else if (match[6] !== undefined) {
        data[repoKey]![match[6]] = pullNode(repo, Number(match[7]));
      }
    }
    return { data };
  }

  const server = await startHttpServer((req, res) => {
    if (req.method !== "POST" || req.path !== "/graphql") return sendJson(res, 404, { message: "Not Found" });
    if (!/^Token \S+/.test(String(req.headers.authorization)))
      return sendJson(res, 401, { message: "Bad credentials" });
    const { query } = JSON.parse(req.body.toString("utf8")) as { query: string };
    sendJson(res, 200, answer(query));
  });

  return Object.assign(server, {
    graphqlUrl: `${server.url}graphql`,
    graphqlRequests: () => server.requests.filter((request) => request.path === "/graphql"),
    addCommit({ repo, sha, author, pr }: { repo: string; sha: string; author: string; pr?: number }) {
      commits.set(`${repo}@${sha}`, { author, pr });
    },
    addPullRequest({
      repo,
      number,
      author,
      mergeCommitSha,
    }: {
      repo: string;
      number: number;
      author: string;
      mergeCommitSha: string;
    }) {
      pulls.set(`${repo}#${number}`, { author, mergeCommitSha });
    },
  });
}
