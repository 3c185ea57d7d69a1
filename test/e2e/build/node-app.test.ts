// End to end: the tutorial's node app (FROM node:20, WORKDIR, COPY . ., RUN npm install,
// CMD) built by the docker CLI's legacy builder and by pier, from a node:20 image that
// scripts/make-node-image.sh makes offline (debootstrap + Node.js 20 from npm).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { usePrivateDaemon, pierBin, repoRoot, type PrivateDaemon } from '../../harness/pierd.js';
import { e2eSkip } from '../../harness/clients.js';
import { boundCli, docker } from '../cli/cli-helpers.js';

const execFileP = promisify(execFile);
const noDebootstrap = !existsSync('/usr/sbin/debootstrap') && !existsSync('/usr/bin/debootstrap');
if (noDebootstrap) console.log('# skipping node app e2e: debootstrap is not installed (apt-get install debootstrap)');
const skip = e2eSkip('node app e2e', { needsDocker: true }) || (noDebootstrap ? 'debootstrap is not installed' : false);

let d: PrivateDaemon;
const dk = boundCli(docker, () => ({ ...d, env: { ...d.env, DOCKER_BUILDKIT: '0' } }));
const pier = boundCli(pierBin, () => d);
usePrivateDaemon(skip, (x) => { d = x; });

let app: string;
before(() => {
  app = mkdtempSync(join(tmpdir(), 'pier-node-app-'));
  mkdirSync(join(app, 'greeter'));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', main: 'index.js', dependencies: { greeter: 'file:./greeter' } }));
  writeFileSync(join(app, 'greeter', 'package.json'), JSON.stringify({ name: 'greeter', version: '1.0.0', main: 'index.js' }));
  writeFileSync(join(app, 'greeter', 'index.js'), 'module.exports = (n) => `hello, ${n}`;\n');
  writeFileSync(join(app, 'index.js'), 'console.log(require("greeter")("pier"), process.version);\n');
  writeFileSync(join(app, '.dockerignore'), 'node_modules\n');
  writeFileSync(join(app, 'Dockerfile'), 'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm install\nCMD ["node", "index.js"]\n');
});
after(() => { rmSync(app, { recursive: true, force: true }); });

test('node:20 made offline; the tutorial app builds (npm install in a RUN step) and runs, through docker and pier', { skip, timeout: 900_000 }, async () => {
  await execFileP(join(repoRoot, 'scripts', 'make-node-image.sh'), [], { env: { ...d.env, CLI: pierBin }, timeout: 840_000, maxBuffer: 1 << 24 });
  assert.match(await dk.ok('run', '--rm', 'node:20', 'node', '--version'), /^v20\.\d+\.\d+\n$/);
  const out = await dk.ok('build', '-t', 'my-app', app);
  assert.match(out, /Step 4\/5 : RUN npm install\n/);
  assert.match(out, /added 1 package/);
  assert.match(await dk.ok('run', '--rm', 'my-app'), /^hello, pier v20\.\d+\.\d+\n$/);
  // The same app through pier: every step from the cache, the same image.
  const again = await pier.ok('build', '-t', 'my-app:2', app);
  assert.match(again, /#4 \[4\/5\] RUN npm install\n#4 CACHED\n/);
  assert.equal(await dk.fmt('{{.Id}}', 'my-app:2'), await dk.fmt('{{.Id}}', 'my-app'));
  assert.equal((await dk.ok('ps', '-aq')).trim(), '');
});
