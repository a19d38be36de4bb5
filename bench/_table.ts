/** Prints rows as an aligned plain-text table, plus the machine line every result needs. */
import os from "node:os";

export function printTable(title: string, rows: Record<string, string | number>[]): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]);
  const cell = (v: string | number | undefined) =>
    typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : (v ?? "");
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join("  ");
  process.stdout.write(`\n${title}\n`);
  process.stdout.write(`${line(cols)}\n${line(widths.map((w) => "-".repeat(w)))}\n`);
  for (const r of rows) process.stdout.write(`${line(cols.map((c) => cell(r[c])))}\n`);
}

export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? "unknown cpu";
  const gib = (os.totalmem() / 2 ** 30).toFixed(0);
  return `${os.cpus().length} x ${cpu}, ${gib} GiB, node ${process.version}, ${new Date().toISOString()}`;
}
