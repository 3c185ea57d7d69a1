import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTable, tabwrite } from './tabwriter.js';

test('an empty docker ps prints its header exactly as docker does', () => {
  const header = ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'];
  assert.equal(formatTable([header]), 'CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n');
});

test('columns widen to the longest cell plus three, never below ten, and empty cells are padded', () => {
  const out = formatTable([
    ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'],
    ['0123456789ab', 'busybox', '"sh"', '2 seconds ago', 'Up 1 second', '', 'happy_turing'],
  ]);
  assert.equal(out, [
    'CONTAINER ID   IMAGE     COMMAND   CREATED         STATUS        PORTS     NAMES',
    '0123456789ab   busybox   "sh"      2 seconds ago   Up 1 second             happy_turing',
    '',
  ].join('\n'));
});

test('the last cell of a line is never padded and widths count runes', () => {
  assert.equal(formatTable([['é', 'x'], ['long-long-cell', 'y']]), `é${' '.repeat(16)}x\nlong-long-cell   y\n`);
  assert.equal(formatTable([['a', 'b   ']]), 'a         b   \n');
});

test('column blocks end at a line without that column, as in Go\'s elastic example', () => {
  const text = 'a\tb\tc\naa\tbb\tcc\naaa\t\naaaa\tdddd\teeee\n';
  const opts = { minwidth: 0, tabwidth: 0, padding: 1, padchar: '.' };
  assert.equal(tabwrite(text, opts), 'a....b..c\naa...bb.cc\naaa..\naaaa.dddd.eeee\n');
  assert.equal(tabwrite(text, { ...opts, alignRight: true }), '....a..bc\n...aa.bbcc\n..aaa\n.aaaa.ddddeeee\n');
});

test('a line without tabs separates blocks, and text without a final newline keeps none', () => {
  assert.equal(tabwrite('ab\tc\nplain\nx\ty'), 'ab        c\nplain\nx         y');
  assert.equal(formatTable([]), '');
});
