/** Export buttons: each streams the report from exportBillingReport and hands the file to the browser. */
import type { ExportFormat } from "@agent-billing/client";
import { useState } from "react";
import { FailureNotice } from "../../shared/components/ui";
import { describeFailure, type Failure } from "../../shared/errors";
import { getBackend } from "../../shared/firebase";

const FORMATS: { format: ExportFormat; label: string }[] = [
  { format: "csv", label: "CSV" },
  { format: "json", label: "JSON" },
  { format: "ndjson", label: "NDJSON" },
];

export function ExportButtons({ agentId, from, to }: { agentId: string; from: string; to: string }) {
  const [busy, setBusy] = useState<ExportFormat | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  const download = async (format: ExportFormat) => {
    setBusy(format);
    setFailure(null);
    try {
      const report = await getBackend().billing.openBillingReport({ agentId, from, to, format });
      // The body streams into the Blob chunk by chunk; the page never parses it.
      const blob = await new Response(report.body).blob();
      const url = URL.createObjectURL(new Blob([blob], { type: report.contentType }));
      const link = document.createElement("a");
      link.href = url;
      link.download = report.filename ?? `billing-${agentId}-${from}-${to}.${format}`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setFailure(describeFailure(err));
    } finally {
      setBusy(null);
    }
  };
  return (
    <div className="export-buttons" role="group" aria-label="Export">
      {FORMATS.map(({ format, label }) => (
        <button key={format} type="button" onClick={() => download(format)} disabled={busy !== null}>
          {busy === format ? `Exporting ${label}…` : `Export ${label}`}
        </button>
      ))}
      {failure ? <FailureNotice failure={failure} /> : null}
    </div>
  );
}
