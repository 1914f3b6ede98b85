/** Timing and percentiles for the benchmark. */
import { mapWithConcurrency } from "../../functions/src/base/pool";

/** The p-th percentile (0-100) of `samples` by the nearest-rank method. */
export function percentile(samples: readonly number[], p: number): number {
  if (!samples.length) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Milliseconds since `start` (a performance.now() reading), with microsecond precision. */
export const elapsedMs = (start: number) => performance.now() - start;

/** Latencies of `n` calls of `fn(i)`, at most `concurrency` in flight; failures are counted, not timed. */
export async function timeCalls(
  n: number,
  concurrency: number,
  fn: (i: number) => Promise<unknown>,
): Promise<{ latencies: number[]; failures: string[] }> {
  const latencies: number[] = [];
  const failures: string[] = [];
  await mapWithConcurrency(
    Array.from({ length: n }, (_, i) => i),
    concurrency,
    async (i) => {
      const start = performance.now();
      try {
        await fn(i);
        latencies.push(elapsedMs(start));
      } catch (err) {
        failures.push((err as { code?: string }).code ?? (err as Error).message);
      }
    },
  );
  return { latencies, failures };
}

/** p50 and p99 of a run, rounded to 0.1 ms. */
export function summarize(latencies: readonly number[]): { p50: number; p99: number; n: number } {
  const round = (x: number) => Math.round(x * 10) / 10;
  return { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)), n: latencies.length };
}
