import { test } from 'node:test';
import assert from 'node:assert/strict';
import { processGone } from './index.js';

test("processGone: crun's words for a process that exited, or whose state is already deleted", () => {
  assert.equal(processGone('container `abc` is not running'), true);
  assert.equal(processGone('kill: No such process'), true);
  assert.equal(processGone('error opening file `/run/pier/runtime/crun/abc/status`: No such file or directory'), true);
  assert.equal(processGone('error opening file `blkio.weight` for writing: no such file or directory'), false);
  assert.equal(processGone('open `/sys/fs/cgroup/x/cgroup.freeze`: Permission denied'), false);
});
