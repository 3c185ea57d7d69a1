// Human-readable sizes and durations as docker's go-units prints and parses
// them, plus Go's time.ParseDuration and the CLI's CPU decimal.

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** Go's `%.{p}g` for the value ranges go-units produces (no exponent below 10^p). */
export function formatG(v: number, p: number): string {
  if (v === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(v)));
  if (exp < -4 || exp >= p) {
    const [m, e] = v.toExponential(p - 1).split('e');
    const mant = String(Number(m));
    const en = Number(e);
    return `${mant}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  }
  return String(Number(v.toPrecision(p)));
}

function custom(size: number, base: number, units: readonly string[], precision: number): string {
  let i = 0;
  while (size >= base && i < units.length - 1) { size /= base; i++; }
  return `${formatG(size, precision)}${units[i] ?? ''}`;
}

/** units.HumanSizeWithPrecision: decimal units (kB, MB…), `precision` significant digits. */
export function humanSize(size: number, precision = 4): string { return custom(size, 1000, DECIMAL, precision); }

/** units.BytesSize: binary units (KiB, MiB…), 4 significant digits. */
export function bytesSize(size: number): string { return custom(size, 1024, BINARY, 4); }

/** units.HumanDuration: "Less than a second", "About a minute", "3 hours", … */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3600000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(ms / 3600000 / 24 / 365)} years`;
}

/** units.RAMInBytes: "64m" → 67108864 (binary multiples, case-insensitive, optional b/ib). */
export function parseRamBytes(s: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(s);
  if (!m) throw new Error(`invalid size: '${s}'`);
  const n = Number.parseFloat(m[1] ?? '');
  if (Number.isNaN(n)) throw new Error(`invalid size: '${s}'`);
  const mul: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
  return Math.trunc(n * (m[2] === undefined ? 1 : (mul[m[2].toLowerCase()] ?? 1)));
}

/** units.FromHumanSize: decimal multiples ("1.5GB" → 1.5e9); used for tmpfs sizes. */
export function parseHumanSize(s: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[bB]?$/.exec(s);
  if (!m) throw new Error(`invalid size: '${s}'`);
  const mul: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };
  return Math.trunc(Number.parseFloat(m[1] ?? '0') * (m[2] === undefined ? 1 : (mul[m[2].toLowerCase()] ?? 1)));
}

const DUR_UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, in nanoseconds. */
export function parseGoDuration(s: string): number {
  const bad = (): never => { throw new Error(`time: invalid duration "${s}"`); };
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) { sign = rest.startsWith('-') ? -1 : 1; rest = rest.slice(1); }
  if (rest === '0') return 0;
  if (rest === '') bad();
  let total = 0;
  while (rest !== '') {
    const m = /^(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!m || m[1] === '' || m[1] === '.') {
      if (/^\d*\.?\d*$/.test(rest)) throw new Error(`time: missing unit in duration "${s}"`);
      bad();
    }
    total += Number.parseFloat(m?.[1] ?? '0') * (DUR_UNITS[m?.[2] ?? ''] ?? 0);
    rest = rest.slice(m?.[0].length ?? rest.length);
  }
  return Math.round(sign * total);
}

/** Go's Duration.String(): "1h2m3s", "500ms", "0s". */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let n = Math.abs(ns);
  let out: string;
  if (n < 1e9) {
    out = n < 1e3 ? `${n}ns` : n < 1e6 ? `${n / 1e3}µs` : `${n / 1e6}ms`;
  } else {
    const h = Math.floor(n / 3600e9); n -= h * 3600e9;
    const m = Math.floor(n / 60e9); n -= m * 60e9;
    const sec = n / 1e9;
    out = `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${Number(sec.toFixed(9))}s`;
  }
  return neg ? `-${out}` : out;
}

/** `--cpus 1.5` → 1500000000 NanoCpus (docker's rational parse; too many decimals is an error). */
export function parseNanoCpus(s: string): number {
  if (!/^[-+]?(\d+\.?\d*|\.\d+)$/.test(s.trim())) throw new Error(`failed to parse ${s} as a rational number`);
  const [ip = '0', fp = ''] = s.trim().replace(/^\+/, '').split('.');
  if (fp.length > 9 && /[1-9]/.test(fp.slice(9))) throw new Error('value is too precise');
  const neg = ip.startsWith('-');
  const nano = Math.abs(Number(ip)) * 1e9 + Number((fp + '000000000').slice(0, 9));
  return neg ? -nano : nano;
}
