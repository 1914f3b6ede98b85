/** One callable's answer as state: loading, data or error, refetched when `deps` change or on reload(). */
import { useCallback, useEffect, useState } from "react";

export interface CallState<T> {
  data: T | null;
  loading: boolean;
  error: unknown;
  reload: () => void;
}

export function useCall<T>(call: (() => Promise<T>) | null, deps: readonly unknown[]): CallState<T> {
  const [state, setState] = useState<{ data: T | null; loading: boolean; error: unknown }>({ data: null, loading: !!call, error: null });
  const [version, setVersion] = useState(0);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  useEffect(() => {
    if (!call) return undefined;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    call().then(
      (data) => live && setState({ data, loading: false, error: null }),
      (error: unknown) => live && setState((s) => ({ ...s, loading: false, error })),
    );
    return () => {
      live = false;
    };
  }, [...deps, version]);
  return { ...state, reload };
}
