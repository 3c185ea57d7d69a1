import { test } from 'node:test';
import assert from 'node:assert/strict';
import { archiveManifest } from './archive.js';
import { InvalidParameterError } from '../errdefs/index.js';

// Regression tests for issue 10: a hostile manifest.json in `docker load` was a 500.

test('a manifest.json that is not JSON, not a list, or has entries of the wrong shape is a 400', () => {
  for (const text of ['{', '{}', 'null', '[1]', '[{}]', '[{"Config":1,"Layers":[]}]', '[{"Config":"c","Layers":"x"}]', '[{"Config":"c","Layers":[],"RepoTags":[1]}]']) {
    assert.throws(() => archiveManifest(Buffer.from(text)), InvalidParameterError, text);
  }
});

test('a well-formed manifest.json decodes, RepoTags defaulting to none', () => {
  assert.deepEqual(archiveManifest(Buffer.from('[{"Config":"c.json","Layers":["l.tar"]}]')), [{ Config: 'c.json', Layers: ['l.tar'], RepoTags: [] }]);
});
