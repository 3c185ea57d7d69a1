/**
 * malloc: glibc's heap controls, through the small addon native/pier-malloc.node
 * (JavaScript cannot reach them). pierd keeps freed heap while it works, so a
 * burst of buffers reuses the pages of the one before instead of faulting in
 * new ones, and hands it all back once it is idle.
 *
 * Optional by design: without the addon (not built, or a libc that is not
 * glibc) `loadMallocControl` returns undefined and pierd runs on the defaults.
 *
 * @example
 * const m = loadMallocControl(join(repoRoot, 'native', 'build', 'pier-malloc.node'));
 * m?.setTrimThreshold(16 << 20); // while busy
 * m?.trim();                     // once idle
 */
import { existsSync } from 'node:fs';

export interface MallocControl {
  /** malloc_trim(0): every arena's free pages go back to the kernel. True when some did. */
  trim(): boolean;
  /** mallopt(M_TRIM_THRESHOLD): the free memory an arena's top may keep before free() returns it. */
  setTrimThreshold(bytes: number): boolean;
}

export function loadMallocControl(path: string): MallocControl | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const mod = { exports: {} as Partial<MallocControl> };
    process.dlopen(mod, path);
    const { trim, setTrimThreshold } = mod.exports;
    return typeof trim === 'function' && typeof setTrimThreshold === 'function' ? { trim, setTrimThreshold } : undefined;
  } catch {
    return undefined;
  }
}
