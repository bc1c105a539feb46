import { GqlFieldError, type GqlObject, type GqlValue } from "./github-graphql.js";

export interface GithubCommitInput {
  /** `owner/name`. */
  repo: string;
  sha: string;
  /** GitHub login of the commit's author, or null for an author without a GitHub account. */
  author: string | null;
  /** Pull request(s) the commit belongs to; one not added with `addPullRequest` is created, merged by `sha`. */
  pr?: number | number[];
  message?: string;
}

export interface GithubPullRequestInput {
  repo: string;
  number: number;
  author: string | null;
  /** The merge commit; also makes the PR show in that commit's `associatedPullRequests`. */
  mergeCommitSha?: string;
  /** ISO date; default: when added. `null` for an open PR. */
  mergedAt?: string | null;
  title?: string;
}

interface CommitRecord {
  sha: string;
  author: string | null;
  message: string;
  pulls: Set<number>;
}

interface PullRecord {
  number: number;
  author: string | null;
  mergeCommitSha?: string;
  mergedAt: string | null;
  title: string;
}

interface RepoRecord {
  nameWithOwner: string;
  commits: Map<string, CommitRecord>;
  pulls: Map<number, PullRecord>;
}

/** Repositories, commits and pull requests the GraphQL endpoint answers from. */
export class GithubData {
  readonly #repos = new Map<string, RepoRecord>();

  constructor(readonly serverUrl: string) {}

  addRepository(repo: string): RepoRecord {
    const key = repo.toLowerCase();
    let record = this.#repos.get(key);
    if (!record) {
      if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) throw new Error(`Not an owner/name repository: '${repo}'`);
      record = { nameWithOwner: repo, commits: new Map(), pulls: new Map() };
      this.#repos.set(key, record);
    }
    return record;
  }

  hasRepository(repo: string): boolean {
    return this.#repos.has(repo.toLowerCase());
  }

  addCommit(input: GithubCommitInput): void {
    const repo = this.addRepository(input.repo);
    const commit = this.#ensureCommit(repo, input.sha, input.author);
    commit.author = input.author;
    if (input.message !== undefined) commit.message = input.message;
    for (const number of [input.pr ?? []].flat()) {
      commit.pulls.add(number);
      if (!repo.pulls.has(number)) {
        repo.pulls.set(number, {
          number,
          author: input.author,
          mergeCommitSha: input.sha,
          mergedAt: new Date().toISOString(),
          title: `Pull request #${number}`,
        });
      }
    }
  }

  addPullRequest(input: GithubPullRequestInput): void {
    const repo = this.addRepository(input.repo);
    repo.pulls.set(input.number, {
      number: input.number,
      author: input.author,
      ...(input.mergeCommitSha ? { mergeCommitSha: input.mergeCommitSha } : {}),
      mergedAt: input.mergedAt === undefined ? new Date().toISOString() : input.mergedAt,
      title: input.title ?? `Pull request #${input.number}`,
    });
    if (input.mergeCommitSha)
      this.#ensureCommit(repo, input.mergeCommitSha, input.author).pulls.add(input.number);
  }

  #ensureCommit(repo: RepoRecord, sha: string, author: string | null): CommitRecord {
    const key = sha.toLowerCase();
    let commit = repo.commits.get(key);
    if (!commit) {
      commit = { sha: key, author, message: "", pulls: new Set() };
      repo.commits.set(key, commit);
    }
    return commit;
  }

  /** The `Query` root object for `executeQuery`. */
  queryRoot(): GqlObject {
    return {
      __typename: "Query",
      repository: (args: Record<string, GqlValue>) => {
        const nameWithOwner = `${String(args.owner)}/${String(args.name)}`;
        const repo = this.#repos.get(nameWithOwner.toLowerCase());
        if (!repo)
          throw new GqlFieldError(`Could not resolve to a Repository with the name '${nameWithOwner}'.`);
        return this.#repositoryObject(repo);
      },
    };
  }

  #repositoryObject(repo: RepoRecord): GqlObject {
    const [owner = "", name = ""] = repo.nameWithOwner.split("/");
    return {
      __typename: "Repository",
      __implements: ["Node", "UniformResourceLocatable"],
      name,
      nameWithOwner: repo.nameWithOwner,
      url: `${this.serverUrl}/${repo.nameWithOwner}`,
      owner: () => this.#userObject(owner),
      // GitHub resolves `object(expression:)` like `git rev-parse`: a full or unambiguous abbreviated SHA.
      object: (args: Record<string, GqlValue>) => {
        const commit = findCommit(repo, String(args.expression ?? args.oid ?? ""));
        return commit ? this.#commitObject(repo, commit) : null;
      },
      pullRequest: (args: Record<string, GqlValue>) => {
        const pull = repo.pulls.get(Number(args.number));
        if (!pull)
          throw new GqlFieldError(
            `Could not resolve to a PullRequest with the number of ${String(args.number)}.`,
          );
        return this.#pullObject(repo, pull);
      },
    };
  }

  #commitObject(repo: RepoRecord, commit: CommitRecord): GqlObject {
    const commitUrl = `${this.serverUrl}/${repo.nameWithOwner}/commit/${commit.sha}`;
    return {
      __typename: "Commit",
      __implements: ["GitObject", "Node", "UniformResourceLocatable"],
      oid: commit.sha,
      abbreviatedOid: commit.sha.slice(0, 7),
      commitUrl,
      url: commitUrl,
      message: commit.message,
      messageHeadline: commit.message.split("\n")[0] ?? "",
      author: () => ({
        __typename: "GitActor",
        name: commit.author ?? "Someone",
        email: commit.author ? `${commit.author}@users.noreply.github.com` : "someone@example.com",
        user: commit.author ? this.#userObject(commit.author) : null,
      }),
      associatedPullRequests: (args: Record<string, GqlValue>) => {
        const limit = connectionLimit("associatedPullRequests", args);
        const pulls = [...commit.pulls].flatMap((number) => repo.pulls.get(number) ?? []);
        return {
          __typename: "PullRequestConnection",
          totalCount: pulls.length,
          nodes: pulls.slice(0, limit).map((pull) => this.#pullObject(repo, pull)),
        };
      },
    };
  }

  #pullObject(repo: RepoRecord, pull: PullRecord): GqlObject {
    return {
      __typename: "PullRequest",
      __implements: ["Node", "UniformResourceLocatable"],
      number: pull.number,
      title: pull.title,
      url: `${this.serverUrl}/${repo.nameWithOwner}/pull/${pull.number}`,
      state: pull.mergedAt ? "MERGED" : "OPEN",
      merged: pull.mergedAt !== null,
      mergedAt: pull.mergedAt,
      author: () => (pull.author ? this.#userObject(pull.author) : null),
      mergeCommit: () => {
        if (!pull.mergeCommitSha) return null;
        const commit = findCommit(repo, pull.mergeCommitSha);
        return commit ? this.#commitObject(repo, commit) : null;
      },
    };
  }

  #userObject(login: string): GqlObject {
    return {
      __typename: "User",
      __implements: ["Actor", "Node", "UniformResourceLocatable"],
      login,
      url: `${this.serverUrl}/${login}`,
    };
  }
}

function findCommit(repo: RepoRecord, expression: string): CommitRecord | undefined {
  const wanted = expression.toLowerCase();
  const exact = repo.commits.get(wanted);
  if (exact || !/^[0-9a-f]{4,39}$/.test(wanted)) return exact;
  const matches = [...repo.commits.values()].filter((commit) => commit.sha.startsWith(wanted));
  return matches.length === 1 ? matches[0] : undefined;
}

/** GitHub refuses unbounded connections. */
function connectionLimit(field: string, args: Record<string, GqlValue>): number {
  const limit = args.first ?? args.last;
  if (typeof limit !== "number") {
    throw new GqlFieldError(
      `You must provide a \`first\` or \`last\` value to properly paginate the \`${field}\` connection.`,
      "MISSING_PAGINATION_BOUNDARIES",
    );
  }
  return limit;
}
