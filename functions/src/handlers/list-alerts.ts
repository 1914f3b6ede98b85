/**
 * listBillingAlerts: the caller's raised alerts (of one agent, or all of theirs), newest first,
 * paged with an opaque token. The token holds only a position in the caller's own alerts (every
 * query filters on the caller), so it needs no signature; a malformed one is invalid-argument.
 */
import type { Firestore, Timestamp } from "firebase-admin/firestore";
import { z } from "zod";
import { DEFAULT_ALERTS_PAGE, type AlertItem, type ListBillingAlertsRequest, type ListBillingAlertsResponse } from "../contract/console";
import { invalidArgument } from "../errors";
import { loadOwnedAgent } from "../store/agents";
import { alertPage, type AlertCursor, type StoredAlert } from "../store/alert-list";

const cursorSchema = z.strictObject({
  seconds: z.number().int().nonnegative(),
  nanos: z.number().int().min(0).max(999_999_999),
  id: z.string().min(1).max(400),
  agentId: z.string().nullable(),
});

/** The token of the page after `cursor`, bound to the agent filter it was issued for. */
export function encodeAlertToken(cursor: AlertCursor, agentId: string | undefined): string {
  return Buffer.from(JSON.stringify({ ...cursor, agentId: agentId ?? null })).toString("base64url");
}

/** @throws BillingError invalid-argument for a token not issued by encodeAlertToken for this filter. */
export function decodeAlertToken(token: string, agentId: string | undefined): AlertCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw invalidArgument("pageToken: is not a token issued by this backend");
  }
  const cursor = cursorSchema.safeParse(parsed);
  if (!cursor.success) throw invalidArgument("pageToken: is not a token issued by this backend");
  if (cursor.data.agentId !== (agentId ?? null)) throw invalidArgument("pageToken: was issued for another agentId filter");
  const { seconds, nanos, id } = cursor.data;
  return { seconds, nanos, id };
}

const isoOf = (value: unknown) =>
  value && typeof (value as Timestamp).toDate === "function" ? (value as Timestamp).toDate().toISOString() : null;

/** The fields the owner sees, picked one by one (delivery errors and lease state stay private). */
export function toAlertItem({ id, data }: StoredAlert): AlertItem {
  const delivery = data.delivery as { mail?: unknown; webhook?: unknown } | undefined;
  return {
    alertId: id,
    agentId: String(data.agentId),
    kind: String(data.kind),
    window: String(data.window),
    createdAt: isoOf(data.createdAt),
    figures: (data.figures as Record<string, unknown> | undefined) ?? {},
    delivery: delivery ? { mail: String(delivery.mail), webhook: String(delivery.webhook) } : null,
  };
}

export async function handleListBillingAlerts(
  db: Firestore,
  uid: string,
  req: ListBillingAlertsRequest,
): Promise<ListBillingAlertsResponse> {
  if (req.agentId) await loadOwnedAgent(db, req.agentId, uid);
  const after = req.pageToken ? decodeAlertToken(req.pageToken, req.agentId) : null;
  const page = await alertPage(db, uid, { agentId: req.agentId, pageSize: req.pageSize ?? DEFAULT_ALERTS_PAGE, after });
  return { items: page.alerts.map(toAlertItem), nextPageToken: page.next ? encodeAlertToken(page.next, req.agentId) : null };
}
