import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FaultInjector } from "./faults.js";

/** What every testkit server records of each request it received. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

export interface TestServer {
  /** Base URL with a trailing slash, e.g. `http://127.0.0.1:43121/`. */
  url: string;
  port: number;
  faults: FaultInjector;
  requests: RecordedRequest[];
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export type Handler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

/** Starts an HTTP server on 127.0.0.1, port 0, with fault injection and request recording in front of `handler`. */
export async function startHttpServer(handler: Handler): Promise<TestServer> {
  const faults = new FaultInjector();
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    try {
      if (await faults.handle(req, res)) return;
      const recorded = await record(req);
      requests.push(recorded);
      await handler(recorded, res);
    } catch (error) {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: String(error) }));
    }
  });
  return listen(server, { faults, requests });
}

/** Listens on 127.0.0.1:0 and wraps an existing server (e.g. Verdaccio's) as a TestServer. */
export async function listen(
  server: Server,
  extra: { faults: FaultInjector; requests: RecordedRequest[] },
): Promise<TestServer> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  server.unref();
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    });
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    ...extra,
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function record(req: IncomingMessage): Promise<RecordedRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  return {
    method: req.method ?? "GET",
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    body: Buffer.concat(chunks),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
