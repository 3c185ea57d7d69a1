import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeImageConfig } from './merge-image-config.js';
import { resolveArgs } from './oci-spec.js';
import type { ContainerConfig } from '../pkg/engine/index.js';

const base: ContainerConfig = {
  Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false,
  OpenStdin: false, StdinOnce: false, Env: null, Cmd: null, Image: 'x', Volumes: null, WorkingDir: '', Entrypoint: null,
  OnBuild: null, Labels: null,
};
const image = { Env: ['PATH=/bin', 'A=1'], Cmd: ['sh'], Entrypoint: ['/init'], WorkingDir: '/app', User: 'nobody', Labels: { l: 'img' } };

test('mergeImageConfig fills what the user left out, user values win', () => {
  const m = mergeImageConfig({ ...base, Env: ['A=2', 'B=3'], Labels: { u: '1' } }, image);
  assert.deepEqual(m.Env, ['A=2', 'B=3', 'PATH=/bin']);
  assert.deepEqual(m.Cmd, ['sh']);
  assert.deepEqual(m.Entrypoint, ['/init']);
  assert.equal(m.WorkingDir, '/app');
  assert.equal(m.User, 'nobody');
  assert.deepEqual(m.Labels, { l: 'img', u: '1' });
});

test('mergeImageConfig keeps docker entrypoint rules: a user entrypoint drops the image Cmd', () => {
  for (const cfg of [{ ...base }, { ...base, Cmd: ['echo', 'x'] }, { ...base, Entrypoint: ['/bin/echo'] }, { ...base, Entrypoint: [''] }, { ...base, Entrypoint: ['/e'], Cmd: ['a'] }]) {
    assert.deepEqual(resolveArgs(mergeImageConfig(cfg, image), image), resolveArgs(cfg, image));
  }
  assert.deepEqual(mergeImageConfig({ ...base, Entrypoint: ['/bin/echo'] }, image).Cmd, null);
});
