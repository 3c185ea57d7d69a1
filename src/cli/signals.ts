// Signal proxying (docker's ForwardAllSignals) and TTY size tracking
// (MonitorTtySize) for attached containers and exec sessions.

/** Signals a CLI can catch and forward; SIGCHLD/SIGPIPE/SIGWINCH/SIGURG are never forwarded. */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM'];

/** Forwards caught signals as `kill(name)` (name without SIG, as docker sends); returns the undo. */
export function forwardSignals(kill: (signal: string) => Promise<void>): () => void {
  const handlers = FORWARDED.map((sig) => {
    const h = (): void => { kill(sig.slice(3)).catch(() => { /* docker only logs this at debug */ }); };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => { for (const [sig, h] of handlers) process.off(sig, h); };
}

/** The output terminal's [rows, cols], or [0, 0] when stdout is not a TTY. */
export function ttySize(): [number, number] {
  const out = process.stdout;
  if (!out.isTTY) return [0, 0];
  return [out.rows ?? 0, out.columns ?? 0];
}

/** Sends the size now and on every SIGWINCH; returns the undo. */
export function monitorTtySize(resize: (h: number, w: number) => Promise<void>): () => void {
  const send = (): void => {
    const [h, w] = ttySize();
    if (h === 0 && w === 0) return;
    resize(h, w).catch(() => { /* the process may be gone already */ });
  };
  send();
  process.on('SIGWINCH', send);
  return () => { process.off('SIGWINCH', send); };
}
