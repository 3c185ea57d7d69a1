/**
 * events: the daemon's event bus, in Docker's message shape.
 *
 * Services publish after their store transaction commits; `/events` subscribers
 * receive live events and, with `since`, the recent history kept in a ring.
 *
 * @example
 * bus.publish({ Type: 'container', Action: 'start', Actor: { ID: id, Attributes: { name } } });
 * for await (const ev of bus.subscribe({ since, signal })) ...
 */
export { EventBus } from './event-bus.js';
export type { EngineEvent, EventInput, SubscribeOptions } from './event-bus.js';
