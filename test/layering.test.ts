// Checks STYLE.md's dependency table: a folder imports only from the rows below it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

const allowed: Record<string, (target: string) => boolean> = {
  cmd: () => true,
  daemon: () => true,
  api: (t) => t === 'api' || ['errdefs', 'pkg', 'kernel'].includes(t) || ['containers', 'images', 'volumes', 'networks', 'events', 'build', 'distribution'].includes(t),
  // registry: `pier registry serve` runs pier's registry in the CLI's own process (its own
  // process, as distribution's registry is); registry itself needs only pkg and errdefs,
  // so the CLI still reaches no daemon internals.
  cli: (t) => ['cli', 'client', 'registry', 'pkg', 'errdefs'].includes(t),
  client: (t) => ['client', 'pkg', 'errdefs'].includes(t),
  registry: (t) => ['registry', 'pkg', 'errdefs'].includes(t),
  containers: (t) => ['containers', 'images', 'volumes', 'networks', 'runtime', 'distribution', 'content', 'snapshots', 'store', 'events', 'errdefs', 'pkg', 'kernel'].includes(t),
  build: (t) => ['build', 'containers', 'images', 'volumes', 'networks', 'runtime', 'distribution', 'content', 'snapshots', 'store', 'events', 'errdefs', 'pkg', 'kernel'].includes(t),
  images: (t) => ['images', 'distribution', 'content', 'snapshots', 'store', 'events', 'errdefs', 'pkg', 'kernel'].includes(t),
  volumes: (t) => ['volumes', 'content', 'snapshots', 'store', 'events', 'errdefs', 'pkg', 'kernel'].includes(t),
  networks: (t) => ['networks', 'content', 'snapshots', 'store', 'events', 'errdefs', 'pkg', 'kernel'].includes(t),
  runtime: (t) => ['runtime', 'content', 'snapshots', 'store', 'events', 'errdefs', 'pkg', 'kernel'].includes(t),
  distribution: (t) => ['distribution', 'content', 'snapshots', 'store', 'events', 'errdefs', 'pkg', 'kernel'].includes(t),
  content: (t) => ['content', 'errdefs', 'pkg', 'kernel'].includes(t),
  snapshots: (t) => ['snapshots', 'errdefs', 'pkg', 'kernel', 'store'].includes(t),
  store: (t) => ['store', 'errdefs', 'pkg', 'kernel'].includes(t),
  events: (t) => ['events', 'errdefs', 'pkg', 'kernel'].includes(t),
  errdefs: (t) => t === 'errdefs',
  pkg: (t) => ['pkg', 'errdefs'].includes(t),
  kernel: (t) => ['kernel', 'errdefs', 'pkg'].includes(t),
};

function* tsFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* tsFiles(p);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) yield p;
  }
}

test('every import follows the layering table of STYLE.md', () => {
  const violations: string[] = [];
  for (const file of tsFiles(src)) {
    const from = relative(src, file).split('/')[0] ?? '';
    const rule = allowed[from];
    assert.ok(rule, `folder src/${from} is not in the layering table`);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = relative(src, resolve(dirname(file), m[1] ?? '')).split('/')[0] ?? '';
      if (!rule(target)) violations.push(`${relative(src, file)} imports ${m[1]}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('services import other folders only through their index.ts', () => {
  const violations: string[] = [];
  for (const file of tsFiles(src)) {
    const from = relative(src, file).split('/')[0] ?? '';
    if (from === 'cmd' || from === 'daemon') continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/from\s*'(\.{1,2}\/[^']+)'/g)) {
      const abs = resolve(dirname(file), m[1] ?? '');
      const rel = relative(src, abs).split('/');
      const target = rel[0] ?? '';
      if (target === from || target === 'pkg' || target === 'errdefs') continue;
      if (rel.length !== 2 || rel[1] !== 'index.js') violations.push(`${relative(src, file)} imports ${m[1]}`);
    }
  }
  assert.deepEqual(violations, []);
});
