/** Cache-key content for files a node reads: a changed, added or removed file changes it. */
import { stat } from "node:fs/promises";

export async function fingerprintFiles(files: { id: string; path: string }[]): Promise<string> {
  const parts = await Promise.all(
    files.map(async (f) => {
      const st = await stat(f.path);
      return `${f.id}:${st.size}:${st.mtimeMs}`;
    }),
  );
  return parts.join("|");
}
