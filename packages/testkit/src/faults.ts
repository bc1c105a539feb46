import type { IncomingMessage, ServerResponse } from "node:http";

/** One injected failure: answer `status` (or drop the connection) for the `nth` request matching `path`. */
export interface Fault {
  /** Matched against the request path (without the query string). A string matches as a prefix. */
  path: string | RegExp;
  method?: string;
  /** Only requests whose `Authorization` header is exactly this (e.g. a revoked token's `Bearer ...`). */
  authorization?: string;
  /** 1-based index among the requests that match `path` and `method`. Default 1. */
  nth?: number;
  /** How many consecutive matching requests fail from `nth` on. Default 1. */
  times?: number;
  /** HTTP status to answer with (default 500 unless `drop` or `delayMs` alone). */
  status?: number;
  body?: string;
  /** Destroy the socket without answering. */
  drop?: boolean;
  /** Wait this long before acting (a timeout when the client gives up first). */
  delayMs?: number;
}

interface ArmedFault extends Fault {
  seen: number;
}

/** Fault injection shared by every testkit server: `faults.add({ path: "/legacy/", nth: 2, status: 503 })`. */
export class FaultInjector {
  readonly #faults: ArmedFault[] = [];

  add(fault: Fault): this {
    this.#faults.push({ ...fault, seen: 0 });
    return this;
  }

  clear(): void {
    this.#faults.length = 0;
  }

  /** Applies a matching fault; returns true when the request was consumed. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    for (const fault of this.#faults) {
      if (!matches(fault, req.method ?? "GET", path)) continue;
      if (fault.authorization !== undefined && req.headers.authorization !== fault.authorization) continue;
      fault.seen += 1;
      const first = fault.nth ?? 1;
      const last = first + (fault.times ?? 1) - 1;
      if (fault.seen < first || fault.seen > last) continue;
      if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      if (fault.drop) {
        req.socket.destroy();
        return true;
      }
      if (fault.status === undefined && fault.delayMs) return false;
      res.writeHead(fault.status ?? 500, { "content-type": "application/json" });
      res.end(fault.body ?? JSON.stringify({ error: `injected fault ${fault.status ?? 500}` }));
      return true;
    }
    return false;
  }
}

function matches(fault: Fault, method: string, path: string): boolean {
  if (fault.method && fault.method.toUpperCase() !== method.toUpperCase()) return false;
  return typeof fault.path === "string" ? path.startsWith(fault.path) : fault.path.test(path);
}
