import assert from 'node:assert/strict';
import { test } from 'node:test';
import { systemPruneWarning } from './prune.js';

test('system prune warns about networks, as docker 28 does, and lists the label/until filters', () => {
  assert.equal(systemPruneWarning({ all: false, filters: {} }),
    'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n\n' +
    'Are you sure you want to continue? [y/N] ');
  // docker 28.2.2, `docker system prune -a --filter label=x --filter until=24h --filter label=a=b --filter dangling=true`
  // (less its "build cache" line: pier does not prune build cache yet)
  assert.equal(systemPruneWarning({ all: true, filters: { label: ['x', 'a=b'], until: ['24h'], dangling: ['true'] } }),
    'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all images without at least one container associated to them\n\n' +
    '  Items to be pruned will be filtered with:\n  - label=a=b\n  - label=x\n  - until=24h\n\nAre you sure you want to continue? [y/N] ');
});
