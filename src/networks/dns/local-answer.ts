// Replies the embedded DNS server builds itself: answers for names it owns, and
// error replies (SERVFAIL, NOTIMP) for queries it cannot or will not pass on.
import { isIPv4 } from 'node:net';
import {
  encode, AUTHORITATIVE_ANSWER, RECURSION_AVAILABLE, RECURSION_DESIRED,
  type Answer, type DecodedPacket, type Question,
} from 'dns-packet';
import type { DnsRecords } from './dns-records.js';

/** Docker's TTL for container names: long enough to spare the server, short enough to follow a restart. */
export const LOCAL_TTL = 600;

export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;

export interface LocalQuery {
  readonly key: string;
  readonly clientIp: string;
  readonly query: DecodedPacket;
  /** Where to start the address list, so repeated answers spread clients over replicas. */
  readonly rotation: number;
}

/** The reply to a query about one of our names, or undefined when the query is not ours (forward it). */
export function answerLocally(records: DnsRecords, q: LocalQuery): Buffer | undefined {
  const questions = q.query.questions ?? [];
  const question = questions[0];
  // Several questions in one query is legal on paper but unanswerable in practice
  // (one rcode for all): leave it to the upstream, as docker does.
  if (question === undefined || questions.length !== 1) return undefined;
  if (question.class !== undefined && question.class !== 'IN') return undefined;
  const name = question.name.toLowerCase().replace(/\.$/, '');
  if (name === '' || name === '.') return undefined;

  if (question.type === 'PTR') {
    const ip = reverseIp(name);
    if (ip === undefined) return undefined;
    const target = records.reverse(q.key, ip);
    if (target === undefined) return undefined;
    return reply(q.query, question, 0, [
      { type: 'PTR', name: question.name, class: 'IN', ttl: LOCAL_TTL, data: target.replace(/\.$/, '') },
    ]);
  }

  const addrs = records.lookup(q.key, name, q.clientIp);
  if (addrs === undefined) return undefined;
  if (addrs === null) return reply(q.query, question, RCODE_NXDOMAIN, []);
  // Any other type for a name of ours gets NOERROR with nothing in it: an NXDOMAIN for
  // AAAA would make resolvers give up on the name before they try A.
  if (question.type !== 'A') return reply(q.query, question, 0, []);
  const valid = addrs.filter((a) => isIPv4(a));
  const start = valid.length === 0 ? 0 : q.rotation % valid.length;
  const ordered = [...valid.slice(start), ...valid.slice(0, start)];
  return reply(q.query, question, 0, ordered.map((data): Answer => (
    { type: 'A', name: question.name, class: 'IN', ttl: LOCAL_TTL, data }
  )));
}

/** An error reply that echoes the query's id and questions. */
export function errorReply(query: DecodedPacket, rcode: number): Buffer {
  return encode({
    type: 'response',
    id: query.id ?? 0,
    flags: replyFlags(query, false) | rcode,
    questions: (query.questions ?? []).map(echo),
    answers: [],
  });
}

function reply(query: DecodedPacket, question: Question, rcode: number, answers: Answer[]): Buffer {
  return encode({
    type: 'response',
    id: query.id ?? 0,
    flags: replyFlags(query, true) | rcode,
    questions: [echo(question)],
    answers,
  });
}

// RD is the client's to set and is copied back (RFC 1035 §4.1.1); RA says we recurse.
function replyFlags(query: DecodedPacket, authoritative: boolean): number {
  return (authoritative ? AUTHORITATIVE_ANSWER : 0) | RECURSION_AVAILABLE | (query.flag_rd ? RECURSION_DESIRED : 0);
}

// The question goes back as asked, case included: resolvers that randomise case
// (DNS 0x20) reject a reply whose question differs from theirs.
function echo(q: Question): Question {
  return q.class === undefined ? { type: q.type, name: q.name } : { type: q.type, name: q.name, class: q.class };
}

/** "4.3.2.1.in-addr.arpa" → "1.2.3.4"; undefined for anything else (IPv6 reverse zones included). */
export function reverseIp(name: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(name);
  if (m === null) return undefined;
  const ip = `${m[4]}.${m[3]}.${m[2]}.${m[1]}`;
  return isIPv4(ip) ? ip : undefined;
}
