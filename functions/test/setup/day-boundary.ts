/**
 * Jest setup of the emulator and browser tiers: no file's setup and no test starts just before a
 * guarded midnight (helpers/day-boundary.ts); it waits until just after it instead.
 */
import { DAY_BOUNDARY_GUARD_MS, dayBoundaryWaitMs } from "../helpers/day-boundary";

async function waitOutDayBoundary(): Promise<void> {
  const wait = dayBoundaryWaitMs(Date.now());
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

const HOOK_TIMEOUT_MS = DAY_BOUNDARY_GUARD_MS + 10_000;
beforeAll(waitOutDayBoundary, HOOK_TIMEOUT_MS);
beforeEach(waitOutDayBoundary, HOOK_TIMEOUT_MS);
