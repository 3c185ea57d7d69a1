/**
 * bench/build/make-context.mjs DIR FILES: writes the build benchmark's context
 * into DIR: FILES small text files as src/dir<i>/file<j>.txt (50 per directory,
 * 1-3 KB each, 2 KB on average; deterministic, so every run builds the same
 * bytes) and the 6-step Dockerfile. Prints the total bytes of src/.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, filesText] = process.argv.slice(2);
const files = Number(filesText);
if (!dir || !(files > 0)) { console.error('usage: make-context.mjs DIR FILES'); process.exit(2); }

const PER_DIR = 50;
let total = 0;
for (let n = 0; n < files; n++) {
  const i = Math.floor(n / PER_DIR);
  const j = n % PER_DIR;
  const d = join(dir, 'src', `dir${i}`);
  if (j === 0) mkdirSync(d, { recursive: true });
  // Text lines of hex, 1,024 + (0..2,047) bytes, from a hash chain seeded by the name.
  let h = createHash('sha256').update(`dir${i}/file${j}`).digest();
  const size = 1024 + (h.readUInt16BE(0) % 2048);
  const lines = [];
  let len = 0;
  while (len < size) {
    const line = `${i}.${j}.${lines.length} ${h.toString('hex')}\n`;
    lines.push(line);
    len += line.length;
    h = createHash('sha256').update(h).digest();
  }
  const body = lines.join('').slice(0, size - 1) + '\n';
  writeFileSync(join(d, `file${j}.txt`), body);
  total += body.length;
}
writeFileSync(join(dir, 'Dockerfile'), [
  'FROM busybox',
  'ENV APP=/app',
  'WORKDIR /app',
  'COPY src/ ./src/',
  'RUN find src -type f | wc -l > count',
  'CMD ["cat","count"]',
  '',
].join('\n'));
console.log(total);
