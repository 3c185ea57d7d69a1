import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus } from './event-bus.js';

const ev = (i: number) => ({ Type: 'container' as const, Action: 'start', Actor: { ID: String(i), Attributes: {} } });

test('a subscriber that does not read keeps at most maxQueued events; the rest are dropped for it alone', async () => {
  const bus = new EventBus();
  const ac = new AbortController();
  let drops = 0;
  const slow = bus.subscribe({ signal: ac.signal, maxQueued: 10, onDrop: () => { drops++; } });
  const first = slow.next(); // registers the listener and waits
  const fast: string[] = [];
  const fastAc = new AbortController();
  const fastDone = (async () => { for await (const e of bus.subscribe({ signal: fastAc.signal })) { fast.push(e.Actor.ID); if (fast.length === 100) return; } })();
  await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 100; i++) bus.publish(ev(i));
  await fastDone;
  assert.equal(fast.length, 100, 'a reading subscriber gets every event');
  const got: string[] = [(await first).value?.Actor.ID ?? ''];
  for (let i = 0; i < 9; i++) got.push((await slow.next()).value?.Actor.ID ?? '');
  assert.deepEqual(got, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.equal(drops, 1, 'one drop notice per overflow');
  // Caught up: new events flow again.
  const next = slow.next();
  bus.publish(ev(1000));
  assert.equal((await next).value?.Actor.ID, '1000');
  ac.abort();
  fastAc.abort();
  assert.equal((await slow.next()).done, true);
  assert.equal(bus.listenerCount, 0);
});
