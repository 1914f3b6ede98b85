/**
 * Live figures over the client SDK's watchers (Firestore listeners on the owner's own documents),
 * each hook cleaning up its listeners when its inputs change or it unmounts.
 */
import { watchAgents, watchDailyUsage, watchSession, type AgentView, type DayUsage, type SessionView } from "@agent-billing/client";
import { useEffect, useState } from "react";
import { getBackend } from "../firebase";

export interface Live<T> {
  data: T;
  loading: boolean;
  error: Error | null;
}

/** The owner's agents, live. */
export function useAgents(uid: string): Live<AgentView[]> {
  const [state, setState] = useState<Live<AgentView[]>>({ data: [], loading: true, error: null });
  useEffect(
    () =>
      watchAgents(
        getBackend().db,
        uid,
        (agents) => setState({ data: agents, loading: false, error: null }),
        (error) => setState((s) => ({ ...s, loading: false, error })),
      ),
    [uid],
  );
  return state;
}

/** The agent's daily buckets (shards added) for local days `from`..`to`, live; null range: nothing. */
export function useDailyUsage(uid: string, agentId: string, range: { from: string; to: string } | null): Live<DayUsage[]> {
  const [state, setState] = useState<Live<DayUsage[]>>({ data: [], loading: true, error: null });
  const from = range?.from;
  const to = range?.to;
  useEffect(() => {
    if (!from || !to) return undefined;
    return watchDailyUsage(
      getBackend().db,
      uid,
      agentId,
      { from, to },
      (days) => setState({ data: days, loading: false, error: null }),
      (error) => setState((s) => ({ ...s, loading: false, error })),
    );
  }, [uid, agentId, from, to]);
  return state;
}

/** A conversation's session figures, live (null before its first message is rolled up). */
export function useSession(uid: string, agentId: string, conversationId: string): Live<SessionView | null> {
  const [state, setState] = useState<Live<SessionView | null>>({ data: null, loading: true, error: null });
  useEffect(() => {
    setState({ data: null, loading: true, error: null });
    return watchSession(
      getBackend().db,
      uid,
      agentId,
      conversationId,
      (session) => setState({ data: session, loading: false, error: null }),
      (error) => setState((s) => ({ ...s, loading: false, error })),
    );
  }, [uid, agentId, conversationId]);
  return state;
}
