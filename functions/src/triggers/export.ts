/** exportBillingReport: the owner's billing report over HTTP (JSON, CSV or NDJSON), streamed. */
import { getAuth } from "firebase-admin/auth";
import { onRequest, type Request } from "firebase-functions/v2/https";
import type { Response } from "express";
import { LEDGER_SIGNING_KEY, REGION } from "../config";
import { handleExportRequest, type ExportSink } from "../handlers/export";
import { db } from "../store/db";

/** An ExportSink over an HTTP response that waits for the client to drain what it was sent. */
function responseSink(res: Response): ExportSink {
  return {
    status: (code) => void res.status(code),
    header: (name, value) => void res.setHeader(name, value),
    write: (chunk) =>
      new Promise<void>((resolve, reject) => {
        if (res.destroyed) return reject(new Error("the client went away"));
        if (res.write(chunk)) return resolve();
        const settle = (err?: Error) => {
          res.off("drain", onDrain).off("close", onClose);
          if (err) reject(err);
          else resolve();
        };
        const onDrain = () => settle();
        const onClose = () => settle(new Error("the client went away"));
        res.once("drain", onDrain).once("close", onClose);
      }),
    end: () => new Promise<void>((resolve) => res.end(resolve)),
    abort: () => void res.destroy(),
  };
}

export const exportBillingReport = onRequest(
  // Long ranges take time to stream; memory does not grow with them, so the default memory will do.
  { region: REGION, timeoutSeconds: 540, secrets: [LEDGER_SIGNING_KEY] },
  (req: Request, res: Response) =>
    handleExportRequest(
      {
        db: db(),
        signingKey: LEDGER_SIGNING_KEY.value(),
        // checkRevoked: a signed-out or disabled user must not pull billing data with an old token.
        verifyIdToken: (idToken) => getAuth().verifyIdToken(idToken, true),
        now: Date.now,
      },
      { method: req.method, authorization: req.get("authorization"), query: req.query },
      responseSink(res),
    ),
);
