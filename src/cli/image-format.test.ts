import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImageHistoryItem } from '../client/index.js';
import { platformJson } from '../client/images.js';
import { renderRows, rfc3339 } from './formatting.js';
import { HISTORY_DEFAULT_TABLE, HISTORY_HEADERS, historyRow, truncateId } from './image-format.js';

const NOW = Date.UTC(2026, 0, 10);
const item = (over: Partial<ImageHistoryItem>): ImageHistoryItem => ({ Id: '<missing>', Created: Date.UTC(2026, 0, 1) / 1000, CreatedBy: '', Tags: null, Size: 0, Comment: '', ...over });

test('history rows: short ids, <missing>, 45-column CREATED BY, 3-digit human sizes', () => {
  const long = '/bin/sh -c #(nop) ADD file:0123456789abcdef0123456789 in / ';
  const top = historyRow(item({ Id: `sha256:${'ab'.repeat(32)}`, CreatedBy: long, Size: 2_134_528 }), { trunc: true, human: true, now: NOW });
  assert.equal(top['ID'], 'abababababab');
  assert.equal(top['CreatedBy'], `${long.slice(0, 44)}…`);
  assert.equal([...String(top['CreatedBy'])].length, 45);
  assert.equal(top['Size'], '2.13MB');
  assert.equal(top['CreatedSince'], '9 days ago');
  const missing = historyRow(item({ CreatedBy: 'CMD ["sh"]\t# tab' }), { trunc: true, human: true, now: NOW });
  assert.equal(missing['ID'], '<missing>');
  assert.equal(missing['CreatedBy'], 'CMD ["sh"] # tab');
  assert.equal(missing['Size'], '0B');
  const full = historyRow(item({ Id: `sha256:${'ab'.repeat(32)}`, CreatedBy: long, Size: 2_134_528 }), { trunc: false, human: false, now: NOW });
  assert.equal(full['ID'], `sha256:${'ab'.repeat(32)}`);
  assert.equal(full['CreatedBy'], long);
  assert.equal(full['Size'], '2134528');
  assert.equal(full['CreatedSince'], full['CreatedAt']);
});

test('history table has docker\'s headers and tabwriter layout', () => {
  const rows = [historyRow(item({ Id: `sha256:${'cd'.repeat(32)}`, CreatedBy: 'CMD ["sh"]', Size: 0 }), { trunc: true, human: true, now: NOW })];
  const text = renderRows(HISTORY_DEFAULT_TABLE, rows, { defaultTable: HISTORY_DEFAULT_TABLE, headers: HISTORY_HEADERS });
  assert.equal(text, 'IMAGE          CREATED      CREATED BY   SIZE      COMMENT\ncdcdcdcdcdcd   9 days ago   CMD ["sh"]   0B        \n');
});

test('truncateId, rfc3339 and platformJson', () => {
  assert.equal(truncateId('sha256:0123456789abcdef'), '0123456789ab');
  assert.equal(truncateId('<missing>'), '<missing>');
  assert.match(rfc3339(new Date(0)), /^19(70|69)-\d\d-\d\dT\d\d:\d\d:00(Z|[+-]\d\d:\d\d)$/);
  assert.equal(platformJson('linux/arm64/v8'), '{"architecture":"arm64","os":"linux","variant":"v8"}');
  assert.equal(platformJson('linux'), '{"os":"linux"}');
});
