/**
 * docker's pull/push progress messages (the JSON stream of POST /images/create
 * and /images/{name}/push) as dockerd's progress and streamformatter write them.
 */

export type ProgressSink = (msg: Record<string, unknown>) => void;

/** go-units HumanSize: 4 significant digits, decimal units. */
export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}

/** JSONProgress.String() as dockerd renders the `progress` field (terminal width 200). */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return humanSize(current).padStart(8);
  let pct = Math.trunc((current / total) * 50);
  if (pct > 50) pct = 50;
  const bar = `[${'='.repeat(pct)}>${' '.repeat(50 - pct)}] `;
  return `${bar}${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

/** One layer's status line: `{"status":…,"progressDetail":{},"id":"<12 hex>"}`. */
export function layerStatus(send: ProgressSink, id: string, status: string): void {
  send({ status, progressDetail: {}, id });
}

/**
 * Throttled byte progress for one layer (Downloading, Extracting, Pushing):
 * at most one message per 100 ms, as dockerd's progress reader does at 512 kB steps.
 */
export function byteProgress(send: ProgressSink, id: string, status: string, total: number): (current: number) => void {
  let last = 0;
  return (current) => {
    const now = Date.now();
    if (current < total && now - last < 100) return;
    last = now;
    send({ status, progressDetail: { current, total }, progress: progressBar(current, total), id });
  };
}

/** The short layer id docker shows: the first 12 hex digits of a digest. */
export function shortId(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}
