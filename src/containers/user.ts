// Resolving docker's `--user` (`name`, `uid`, `name:group`, `uid:gid`, …) and `--group-add`
// against the image's /etc/passwd and /etc/group, with the semantics and error texts of
// runc's libcontainer/user GetExecUser as moby's getUser uses it: the primary gid comes first in
// additionalGids, then the groups that list the user, then --group-add.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidParameterError } from '../errdefs/index.js';

export interface PasswdEntry { name: string; uid: number; gid: number; home: string }
export interface GroupEntry { name: string; gid: number; members: string[] }
export interface ResolvedUser { uid: number; gid: number; additionalGids: number[]; home: string }

/** Reads a file by its path inside the container's rootfs; undefined when it does not exist. */
export type RootfsReader = (containerPath: string) => string | undefined;

const MAX_ID = 2147483647;
const RANGE_ERROR = `uids and gids must be in range 0-${MAX_ID}`;

function lines(text: string | undefined): string[][] {
  if (text === undefined) return [];
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(':'));
}

function toId(s: string | undefined): number | undefined {
  return s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined;
}

export function parsePasswd(text: string | undefined): PasswdEntry[] {
  return lines(text).flatMap(([name = '', , uid, gid, , home = '']) => {
    const u = toId(uid);
    const g = toId(gid);
    return u === undefined || g === undefined ? [] : [{ name, uid: u, gid: g, home }];
  });
}

export function parseGroup(text: string | undefined): GroupEntry[] {
  return lines(text).flatMap(([name = '', , gid, list = '']) => {
    const g = toId(gid);
    return g === undefined ? [] : [{ name, gid: g, members: list.split(',').map((m) => m.trim()).filter((m) => m !== '') }];
  });
}

function numeric(s: string): number | undefined {
  if (!/^-?\d+$/.test(s)) return undefined;
  const n = Number(s);
  if (n < 0 || n > MAX_ID) throw new InvalidParameterError(RANGE_ERROR);
  return n;
}

/**
 * Resolve `spec` (docker's Config.User; '' means root) to ids. Numeric ids need no passwd entry;
 * names must exist. Throws InvalidParameterError with runc's wording
 * (`unable to find user x: no matching entries in passwd file`).
 */
export function resolveUser(spec: string, opts: { readFile: RootfsReader; groupAdd?: readonly string[] | null }): ResolvedUser {
  const sep = spec.indexOf(':');
  const userArg = sep < 0 ? spec : spec.slice(0, sep);
  const groupArg = sep < 0 ? '' : spec.slice(sep + 1);
  const passwdText = opts.readFile('/etc/passwd');
  const groupText = opts.readFile('/etc/group');
  const users = parsePasswd(passwdText);
  const groups = parseGroup(groupText);

  const uidArg = /^\d+$/.test(userArg) ? numeric(userArg) : undefined;
  const match = users.find((u) => (userArg === '' ? u.uid === 0 : uidArg !== undefined ? u.uid === uidArg : u.name === userArg));
  const out: ResolvedUser = { uid: 0, gid: 0, additionalGids: [], home: '/' };
  if (match !== undefined) {
    out.uid = match.uid;
    out.gid = match.gid;
    out.home = match.home || '/';
  } else if (userArg !== '') {
    if (uidArg === undefined) throw new InvalidParameterError(`unable to find user ${userArg}: no matching entries in passwd file`);
    out.uid = uidArg;
  }

  const sgids: number[] = [];
  if (groupArg !== '') {
    const gidArg = /^\d+$/.test(groupArg) ? numeric(groupArg) : undefined;
    const g = groups.find((e) => (gidArg !== undefined ? e.gid === gidArg : e.name === groupArg));
    if (g !== undefined) {
      out.gid = g.gid;
    } else {
      if (gidArg === undefined) throw new InvalidParameterError(`unable to find group ${groupArg}: no matching entries in group file`);
      out.gid = gidArg;
    }
  } else if (match !== undefined) {
    for (const g of groups) if (g.members.includes(match.name)) sgids.push(g.gid);
  }

  const added = (opts.groupAdd ?? []).map((ag) => {
    const g = groups.find((e) => e.name === ag) ?? (/^\d+$/.test(ag) ? groups.find((e) => e.gid === Number(ag)) : undefined);
    if (g !== undefined) return g.gid;
    const n = /^\d+$/.test(ag) ? numeric(ag) : undefined;
    if (n === undefined) throw new InvalidParameterError(`Unable to find group ${ag}: no matching entries in group file`);
    return n;
  });
  out.additionalGids = [...new Set([out.gid, ...sgids, ...added])];
  return out;
}

const MAX_SYMLINKS = 40;
const MAX_FILE_BYTES = 4 * 1024 * 1024;

/**
 * A RootfsReader for a rootfs directory on the host. Symlinks are resolved as the container
 * would see them (absolute targets and `..` stay inside `rootfs`), so a hostile image cannot make
 * the daemon read host files. Missing files, loops and oversize files read as undefined.
 */
export function rootfsReader(rootfs: string): RootfsReader {
  return (containerPath) => {
    const resolved = resolveInRoot(rootfs, containerPath);
    if (resolved === undefined) return undefined;
    try {
      const st = fs.statSync(resolved);
      if (!st.isFile() || st.size > MAX_FILE_BYTES) return undefined;
      return fs.readFileSync(resolved, 'utf8');
    } catch {
      // the file vanished or is unreadable: same as absent for a passwd/group lookup
      return undefined;
    }
  };
}

/** Host path of `containerPath` inside `rootfs`, following symlinks within the root; undefined if a component is missing. */
export function resolveInRoot(rootfs: string, containerPath: string): string | undefined {
  const pending = containerPath.split('/').filter((s) => s !== '' && s !== '.');
  const done: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift() ?? '';
    if (part === '..') { done.pop(); continue; }
    const host = path.join(rootfs, ...done, part);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(host);
    } catch {
      // a missing component: the file does not exist in the container
      return undefined;
    }
    if (st.isSymbolicLink()) {
      if (++hops > MAX_SYMLINKS) return undefined;
      const target = fs.readlinkSync(host);
      if (target.startsWith('/')) done.length = 0;
      pending.unshift(...target.split('/').filter((s) => s !== '' && s !== '.'));
      continue;
    }
    done.push(part);
  }
  return path.join(rootfs, ...done);
}
