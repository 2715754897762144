/**
 * A scripted HTTP server for answers the emulator never gives (malformed, oversized, hanging):
 * each request is answered by the handler and recorded by operation.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface StubRequest {
  readonly operation: string;
  readonly method: string;
  readonly query: URLSearchParams;
  readonly body: string;
  readonly headers: IncomingMessage["headers"];
}

export type StubHandler = (request: StubRequest, res: ServerResponse) => void;

export interface Stub {
  readonly url: string;
  readonly requests: StubRequest[];
  operations(): string[];
  close(): Promise<void>;
}

export async function startStub(handler: StubHandler): Promise<Stub> {
  const requests: StubRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://stub");
      const request: StubRequest = {
        operation: url.pathname.replace("/ShareWebServices/Services/", ""),
        method: req.method ?? "",
        query: url.searchParams,
        body: Buffer.concat(chunks).toString("utf8"),
        headers: req.headers,
      };
      requests.push(request);
      handler(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    operations: () => requests.map((r) => r.operation),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

export function sendText(res: ServerResponse, status: number, body: string, type = "text/html"): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

export const ACCOUNT_ID = "11111111-2222-4333-8444-555555555555";
export const SESSION_ID = "99999999-8888-4777-8666-555555555555";

export function fault(code: string, message = ""): Record<string, string> {
  return { Code: code, Message: message, SubCode: "<OnlineException />", TypeName: "FaultException" };
}
