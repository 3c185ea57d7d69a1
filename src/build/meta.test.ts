import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChanges, parseGoDuration, expandPorts } from './meta.js';

test('ENV changes: several pairs, quotes removed, a key set twice keeps the last, $VAR sees the config', () => {
  const c = applyChanges({ Env: ['PATH=/bin', 'A=0'] }, ['ENV A=1 B="x y"', 'ENV A=2', 'ENV C=$B-$PATH', 'ENV legacy form with words']);
  assert.deepEqual(c.Env, ['PATH=/bin', 'A=2', 'B=x y', 'C=x y-/bin', 'legacy=form with words']);
});

test('CMD/ENTRYPOINT shell and exec forms; WORKDIR relative to the current one; LABEL, EXPOSE, VOLUME, USER, STOPSIGNAL', () => {
  const c = applyChanges({ WorkingDir: '/srv' }, ['CMD echo hi', 'ENTRYPOINT ["/bin/tini", "--"]', 'WORKDIR app', 'LABEL a=1 "b c"="d e"', 'EXPOSE 80 53/udp 8000-8002', 'VOLUME ["/data"]', 'USER nobody', 'STOPSIGNAL SIGTERM']);
  assert.deepEqual(c.Cmd, ['/bin/sh', '-c', 'echo hi'], 'the CMD given with the change is kept by the ENTRYPOINT after it');
  assert.deepEqual(c.Entrypoint, ['/bin/tini', '--']);
  assert.equal(c.WorkingDir, '/srv/app');
  assert.deepEqual(c.Labels, { a: '1', 'b c': 'd e' });
  assert.deepEqual(Object.keys(c.ExposedPorts ?? {}).sort(), ['53/udp', '80/tcp', '8000/tcp', '8001/tcp', '8002/tcp']);
  assert.deepEqual(c.Volumes, { '/data': {} });
  assert.equal(c.User, 'nobody');
  assert.equal(c.StopSignal, 'SIGTERM');
});

test('changes docker refuses: RUN, COPY, an unknown word, a bad signal, a bad port', () => {
  assert.throws(() => applyChanges({}, ['RUN echo']), /run is not a valid change command/);
  assert.throws(() => applyChanges({}, ['COPY a b']), /copy is not a valid change command/);
  assert.throws(() => applyChanges({}, ['FOO bar']), /FOO is not a valid change command/i);
  assert.throws(() => applyChanges({}, ['STOPSIGNAL SIGNOPE']), /Invalid signal: SIGNOPE/);
  assert.throws(() => expandPorts('80-70'), /Invalid containerPort: 80-70/);
});

test('HEALTHCHECK flags are Go durations', () => {
  assert.equal(parseGoDuration('1m30s'), 90e9);
  assert.equal(parseGoDuration('500ms'), 5e8);
  assert.throws(() => parseGoDuration('5x'), /invalid duration/);
  const c = applyChanges({}, ['HEALTHCHECK --interval=5s --retries=3 CMD ["true"]']);
  assert.deepEqual(c.Healthcheck, { Test: ['CMD', 'true'], Interval: 5e9, Retries: 3 });
  const inherited = applyChanges({ Healthcheck: { Test: ['CMD', 'x'], Interval: 5e9, Timeout: 2e9, Retries: 4 } }, ['HEALTHCHECK --interval=90s CMD true']);
  assert.deepEqual(inherited.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 90e9, Timeout: 2e9, Retries: 4 });
});

test('an ENTRYPOINT change resets the CMD the config had, unless a CMD change came before it', () => {
  assert.equal(applyChanges({ Cmd: ['sh'] }, ['ENTRYPOINT ["/bin/echo"]']).Cmd, null);
  assert.deepEqual(applyChanges({ Cmd: ['sh'] }, ['CMD ["x"]', 'ENTRYPOINT ["/bin/echo"]']).Cmd, ['x']);
});

test('history text as docker writes it: Go durations, %q of the healthcheck, EXPOSE words sorted as written', async () => {
  const { goDuration, applyMeta } = await import('./meta.js');
  assert.equal(goDuration(90e9), '1m30s');
  assert.equal(goDuration(5e8), '500ms');
  assert.equal(goDuration(3600e9), '1h0m0s');
  const ins = (keyword: string, args: string, flags: [string, string[]][] = []) => ({ keyword, args, flags: new Map(flags), line: 1, original: '', heredocs: [] });
  const hc = applyMeta({}, ins('HEALTHCHECK', 'CMD true', [['interval', ['5s']], ['retries', ['4']]]), { vars: new Map(), escape: '\\', cmdSet: false });
  assert.equal(hc.createdBy, ` HEALTHCHECK &{["CMD-SHELL" "true"] "5s" "0s" "0s" "0s" '\\x04'}`);
  const ex = applyMeta({}, ins('EXPOSE', '80 ${P}/tcp 53/udp'), { vars: new Map([['P', '8080']]), escape: '\\', cmdSet: false });
  assert.equal(ex.createdBy, ' EXPOSE 8080/tcp 53/udp 80');
});
