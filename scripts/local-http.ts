/**
 * The HTTP plumbing the local servers share (local-agent.ts, local-stripe.ts): a capped request
 * body, a JSON answer, listening on 127.0.0.1 and running alone from the command line. Each server
 * keeps its own routes and error shape.
 */
import * as http from "node:http";

/**
 * The request body as UTF-8, refused with `tooLarge()` past `maxBytes`. Past the limit it keeps
 * reading (and dropping) the body: leaving the loop early destroys the request and its socket, and
 * the client would then often see ECONNRESET instead of the 413.
 */
export async function readBody(req: http.IncomingMessage, maxBytes: number, tooLarge: () => Error): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req) {
    size += (part as Buffer).length;
    if (size <= maxBytes) parts.push(part as Buffer);
  }
  if (size > maxBytes) throw tooLarge();
  return Buffer.concat(parts).toString("utf8");
}

/** Answers `body` as JSON with `status`, plus any `headers`. */
export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * Serves `handle` on 127.0.0.1:`port` (0: any free port); resolves once it listens. A failure of
 * `handle` drops the connection when the answer has begun, and is answered by `fail` otherwise.
 */
export function listenLocal(
  port: number,
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
  fail: (res: http.ServerResponse, err: unknown) => void,
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) res.destroy();
      else fail(res, err);
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

/** Runs a server alone (`npm run agent`, `npm run stripe`): says where it listens, exits 1 if it cannot, 0 on SIGINT/SIGTERM. */
export function runAlone(name: string, port: number, start: () => Promise<unknown>, listening: string): void {
  start().then(
    () => console.log(`${name} listening on ${listening}`),
    (err: Error) => {
      console.error(`${name} could not listen on 127.0.0.1:${port}: ${err.message}`);
      process.exit(1);
    },
  );
  const stop = () => process.exit(0);
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
