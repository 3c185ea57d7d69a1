import { readFile } from 'node:fs/promises';
import { exec, currentForkServer } from './exec.js';
import { ForkServerUnavailable } from './fork-server.js';

const MS_RDONLY = 1;
const MS_REMOUNT = 32;
const MS_BIND = 4096;
const MNT_DETACH = 2;

/**
 * mount(2) through the fork server when pierd has one (no mount(8) process);
 * false when there is none, so the caller runs mount(8).
 */
async function direct(fn: (fs: NonNullable<ReturnType<typeof currentForkServer>>) => Promise<void>): Promise<boolean> {
  const fs = currentForkServer();
  if (!fs) return false;
  try {
    await fn(fs);
    return true;
  } catch (err) {
    if (err instanceof ForkServerUnavailable) return false;
    throw err;
  }
}

/** Mounts an overlay filesystem (lowerdirs topmost first). */
export async function mountOverlay(target: string, opts: { lower: readonly string[]; upper?: string; work?: string }): Promise<void> {
  let data = `lowerdir=${opts.lower.join(':')}`;
  if (opts.upper && opts.work) data += `,upperdir=${opts.upper},workdir=${opts.work}`;
  // Naive diffs: no redirect_dir/metacopy/index so an upper dir reads as a plain layer.
  data += ',redirect_dir=off,metacopy=off,index=off';
  if (await direct((fs) => fs.mount('overlay', target, 'overlay', 0, data))) return;
  await exec('mount', ['-t', 'overlay', 'overlay', '-o', data, target]);
}

export async function mountBind(source: string, target: string, opts: { readonly?: boolean } = {}): Promise<void> {
  if (await direct(async (fs) => {
    await fs.mount(source, target, '', MS_BIND, '');
    if (opts.readonly) await fs.mount('', target, '', MS_REMOUNT | MS_BIND | MS_RDONLY, '');
  })) return;
  await exec('mount', ['--bind', source, target]);
  if (opts.readonly) await exec('mount', ['-o', 'remount,bind,ro', target]);
}

/** Unmounts target (lazily when busy); idempotent. */
export async function unmount(target: string): Promise<void> {
  if (!(await isMounted(target))) return;
  const fs = currentForkServer();
  if (fs) {
    try {
      await fs.umount(target);
      return;
    } catch (err) {
      if ((err as { errno?: number }).errno === 16 /* EBUSY */) {
        await fs.umount(target, MNT_DETACH);
        return;
      }
      if (!(err instanceof ForkServerUnavailable) && !(await isMounted(target))) return;
      if (!(err instanceof ForkServerUnavailable)) throw err;
    }
  }
  const r = await exec('umount', [target], { allowFailure: true });
  if (r.code !== 0 && (await isMounted(target))) await exec('umount', ['-l', target]);
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export async function isMounted(target: string): Promise<boolean> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f[4] !== undefined && unescapeMount(f[4]) === target) return true;
  }
  return false;
}

/** Performs one snapshot mount (overlay or bind) at target. */
export async function mountSnapshot(m: { type: string; source: string; options: readonly string[] }, target: string): Promise<void> {
  if (m.type === 'overlay') {
    const opt = (k: string): string | undefined => m.options.find((o) => o.startsWith(`${k}=`))?.slice(k.length + 1);
    const upper = opt('upperdir');
    const work = opt('workdir');
    await mountOverlay(target, { lower: opt('lowerdir')?.split(':') ?? [], ...(upper ? { upper } : {}), ...(work ? { work } : {}) });
    return;
  }
  await mountBind(m.source, target, { readonly: m.options.includes('ro') });
}
