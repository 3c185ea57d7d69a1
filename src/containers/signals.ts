import { constants } from 'node:os';
import { InvalidParameterError } from '../errdefs/index.js';

const SIGRTMIN = 34;
const SIGRTMAX = 64;

/** docker's signal parsing: "KILL", "SIGKILL", "kill", "9", "SIGRTMIN+3". */
export function parseSignal(raw: string): number {
  const s = raw.trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 1 || n > SIGRTMAX) throw new InvalidParameterError(`Invalid signal: ${raw}`);
    return n;
  }
  let name = s.toUpperCase();
  if (!name.startsWith('SIG')) name = `SIG${name}`;
  const rt = /^SIGRTM(IN|AX)([+-]\d+)?$/.exec(name);
  if (rt) {
    const base = rt[1] === 'IN' ? SIGRTMIN : SIGRTMAX;
    const n = base + Number(rt[2] ?? 0);
    if (n < SIGRTMIN || n > SIGRTMAX) throw new InvalidParameterError(`Invalid signal: ${raw}`);
    return n;
  }
  const n = (constants.signals as Record<string, number | undefined>)[name];
  if (n === undefined) throw new InvalidParameterError(`Invalid signal: ${raw}`);
  return n;
}
