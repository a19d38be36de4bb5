/** Shapes of the whole (not per-sample) values that flow between nodes. */

/** One anomaly score per sample, in stream order. */
export interface Scores {
  ids: string[];
  labels: (0 | 1 | -1)[];
  defects: string[];
  scores: number[];
  /** How the image score was derived from its map, e.g. "max" or "top-100 mean". */
  method: string;
}

export interface ThresholdValue {
  value: number;
  /** Where it came from, recorded in every report that uses it. */
  source: string;
}

export interface ReportValue {
  files: string[];
  summary: Record<string, unknown>;
}
