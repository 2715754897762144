/**
 * The status page's routes on the local listener (health-server.ts): `GET /` (HTML, `?hours=24` for
 * the day's chart, 3 hours otherwise) and `GET /status.json` (the same facts, page-facts.ts). Each
 * request reads the last 24 hours of the archive (one or two day files) and the daemon's snapshot;
 * nothing is cached, nothing is written.
 */
import type { DisplayUnit } from "../../readings/units.js";
import { readArchive } from "../../sinks/archive/archive-reader.js";
import type { ArchiveProblem } from "../../sinks/archive/archive-sink.js";
import type { PageRoutes } from "../health-server.js";
import { json } from "../http-reply.js";
import { type ChartHours, pageFacts } from "./page-facts.js";
import { CONTENT_SECURITY_POLICY, renderPage } from "./page-html.js";

const DAY_MS = 86_400_000;

export interface StatusPageOptions {
  /** The archive (the sink), or undefined when it is off. */
  readonly archive: { readonly dir: string; problem(): ArchiveProblem | undefined } | undefined;
  readonly unit: DisplayUnit;
}

export function statusPage(options: StatusPageOptions): PageRoutes {
  return {
    paths: ["/", "/status.json"],
    async reply(path, url, snapshot) {
      const hours: ChartHours = url.searchParams.get("hours") === "24" ? 24 : 3;
      const archive = options.archive;
      const archived =
        archive === undefined
          ? undefined
          : (await readArchive(archive.dir, { sinceMs: snapshot.nowMs - DAY_MS, serial: snapshot.serial }))
              .readings;
      const facts = pageFacts({
        snapshot,
        archived,
        archiveProblem: archive?.problem()?.message,
        unit: options.unit,
        hours,
      });
      if (path === "/status.json") return json(200, facts);
      return {
        status: 200,
        contentType: "text/html; charset=utf-8",
        body: renderPage(facts),
        headers: {
          "content-security-policy": CONTENT_SECURITY_POLICY,
          "referrer-policy": "no-referrer",
          "x-frame-options": "DENY",
        },
      };
    },
  };
}
