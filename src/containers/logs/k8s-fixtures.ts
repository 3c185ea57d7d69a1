import type { TestContext } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Test fixtures: synthetic conmon k8s-file content. Used by this folder's tests only. */

export const BASE = 1_700_000_000;
export const S = 1_000_000_000n;

/** A conmon k8s-file record at BASE+sec seconds (+ns), written as conmon writes it. */
export function rec(sec: number, stream: 'stdout' | 'stderr', text: string, partial = false, ns = 0): string {
  const iso = new Date((BASE + sec) * 1000).toISOString().slice(0, 19);
  return `${iso}.${String(ns).padStart(9, '0')}+00:00 ${stream} ${partial ? 'P' : 'F'} ${text}\n`;
}

/** A fresh `pier-logs-` directory, removed when the test ends. */
export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pier-logs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
