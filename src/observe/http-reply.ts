/**
 * An answer of the local HTTP listener (health-server.ts): status, content type, body and extra
 * headers, built whole before anything is sent (every body is small), so a failure while building
 * one is a clean 500.
 */

export interface Reply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export const json = (status: number, value: unknown): Reply => ({
  status,
  contentType: "application/json; charset=utf-8",
  body: `${JSON.stringify(value)}\n`,
});

export const text = (status: number, body: string): Reply => ({
  status,
  contentType: "text/plain; charset=utf-8",
  body,
});
