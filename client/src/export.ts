/**
 * exportBillingReport is an HTTP function, not a callable: it is fetched with the signed-in user's
 * Firebase ID token as `Authorization: Bearer <token>`, and its body is streamed.
 */
import type { Auth } from "firebase/auth";
import { BillingClientError, fetchError, httpError } from "./errors";
import type { ExportReportRequest } from "./types";

/** What the export needs from the client. */
export interface ExportDeps {
  auth: Auth;
  /** URL the HTTP functions are served under; the export is `${baseUrl}/exportBillingReport`. */
  baseUrl: string;
  fetch: typeof fetch;
}

/** An opened report: read `body` to its end (or cancel it). */
export interface BillingReportStream {
  body: ReadableStream<Uint8Array>;
  contentType: string;
  /** The file name the server suggests (`billing-<agentId>-<from>-<to>.<ext>`), when it sends one. */
  filename: string | null;
}

async function idToken(auth: Auth): Promise<string> {
  const user = auth.currentUser;
  if (!user) throw new BillingClientError("unauthenticated", "Sign in before exporting a billing report.");
  return user.getIdToken();
}

/** The report's URL for a request (`format` defaults to json, as on the server). */
export function reportUrl(baseUrl: string, request: ExportReportRequest): string {
  const query = new URLSearchParams({ agentId: request.agentId, from: request.from, to: request.to, format: request.format ?? "json" });
  return `${baseUrl.replace(/\/+$/, "")}/exportBillingReport?${query}`;
}

const FILENAME = /filename="([^"]+)"/;

/** Opens the report: resolves once the server accepted the request and began to stream. */
export async function openReport(deps: ExportDeps, request: ExportReportRequest, signal?: AbortSignal): Promise<BillingReportStream> {
  const token = await idToken(deps.auth);
  let res: Response;
  try {
    res = await deps.fetch(reportUrl(deps.baseUrl, request), { headers: { authorization: `Bearer ${token}` }, signal });
  } catch (err) {
    throw fetchError(err);
  }
  if (!res.ok || !res.body) throw httpError(res.status, await res.text().catch(() => ""));
  return {
    body: res.body,
    contentType: res.headers.get("content-type") ?? "application/octet-stream",
    filename: FILENAME.exec(res.headers.get("content-disposition") ?? "")?.[1] ?? null,
  };
}

/** Reads a whole report as text; a connection cut mid-report is an `unavailable` error. */
export async function readReport(report: BillingReportStream): Promise<string> {
  const reader = report.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return text + decoder.decode();
      text += decoder.decode(value, { stream: true });
    }
  } catch (err) {
    const cancelled = fetchError(err);
    if (cancelled.code === "cancelled") throw cancelled;
    // The server breaks the connection off on a failure mid-report, so a truncated report never
    // passes for a whole one.
    throw new BillingClientError("unavailable", "The report was cut off before its end.", undefined, { cause: err });
  }
}
