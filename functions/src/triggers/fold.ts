/** Every 15 minutes (UTC): fold the shards of the daily buckets whose day is over (logic in handlers/fold.ts). */
import { logger } from "firebase-functions/v2";
import { onSchedule } from "firebase-functions/v2/scheduler";
import { REGION } from "../config";
import { foldRollupShards } from "../handlers/fold";
import { db } from "../store/db";

export const foldRollups = onSchedule(
  // A failed run is not retried: the next one folds what is left (a fold is idempotent).
  { schedule: "every 15 minutes", timeZone: "UTC", region: REGION, retryCount: 0, timeoutSeconds: 540 },
  async () => {
    const summary = await foldRollupShards(db(), Date.now());
    if (summary.failed) logger.warn("some daily buckets could not be folded; the next run retries them", summary);
    else logger.info("rollup shards folded", summary);
  },
);
