import { formatMs } from "../store/runStore.ts";

/** Thin progress bar with step count and ETA underneath. */
export function ProgressBar({
  step,
  total,
  etaMs,
}: {
  step: number;
  total: number;
  etaMs?: number;
}) {
  const pct = total > 0 ? Math.min(100, (100 * step) / total) : 0;
  return (
    <div className="progress" data-testid="progress">
      <div className="progress-track">
        <div className="progress-fill" style={{ width: `${pct}%` }} />
      </div>
      <div className="progress-text">
        <span>
          {step} / {total}
        </span>
        {etaMs !== undefined && <span>ETA {formatMs(etaMs)}</span>}
      </div>
    </div>
  );
}
