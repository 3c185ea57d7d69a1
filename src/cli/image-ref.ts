// Image reference normalisation as the CLI needs it: `busybox` →
// docker.io/library/busybox:latest for pulls, and the familiar form for messages.

export interface ImageRef {
  /** Fully-qualified repository: docker.io/library/busybox, 127.0.0.1:5000/x. */
  repository: string;
  tag: string;
  digest: string;
  /** What docker prints: busybox:latest, 127.0.0.1:5000/x:v1, x@sha256:… */
  familiar: string;
}

/** Parses `[host/]path[:tag][@digest]`; undefined when it is not a name (e.g. a bare image ID). */
export function parseImageRef(s: string): ImageRef | undefined {
  if (s === '' || /^(sha256:)?[0-9a-f]{64}$/.test(s)) return undefined;
  let rest = s;
  let digest = '';
  const at = rest.indexOf('@');
  if (at >= 0) { digest = rest.slice(at + 1); rest = rest.slice(0, at); }
  let tag = '';
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) { tag = rest.slice(colon + 1); rest = rest.slice(0, colon); }
  if (rest === '' || /[A-Z]/.test(rest.split('/').slice(1).join('/')) || !/^[A-Za-z0-9._:/-]+$/.test(rest)) return undefined;
  const parts = rest.split('/');
  const first = parts[0] ?? '';
  const hasHost = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let repository: string;
  if (hasHost) repository = first === 'index.docker.io' ? `docker.io/${parts.slice(1).join('/')}` : rest;
  else repository = parts.length === 1 ? `docker.io/library/${rest}` : `docker.io/${rest}`;
  if (repository.startsWith('docker.io/') && repository.split('/').length === 2) repository = `docker.io/library/${repository.slice(10)}`;
  if (tag === '' && digest === '') tag = 'latest';
  let fam = repository.startsWith('docker.io/library/') ? repository.slice(18) : repository.startsWith('docker.io/') ? repository.slice(10) : repository;
  if (tag !== '') fam += `:${tag}`;
  if (digest !== '') fam += `@${digest}`;
  return { repository, tag, digest, familiar: fam };
}
