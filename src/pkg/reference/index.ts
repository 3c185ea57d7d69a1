/**
 * reference: docker image references, parsed and normalised as the docker
 * CLI and dockerd do (distribution's reference grammar).
 *
 * `busybox` means `docker.io/library/busybox`, `user/x` means
 * `docker.io/user/x`; a first path component containing `.` or `:`, or equal
 * to `localhost`, names a registry. A parsed reference keeps its tag
 * undefined when none was given; `withDefaultTag` adds `latest` unless there
 * is a digest. `familiarString` gives the short form shown in `RepoTags`,
 * `fullString` the fully qualified one used as a store key.
 *
 * @example
 * const r = withDefaultTag(parseReference('busybox'));
 * fullString(r);     // "docker.io/library/busybox:latest"
 * familiarString(r); // "busybox:latest"
 */
export {
  parseReference, withDefaultTag, familiarName, familiarString, fullString, fullName, isFullId,
  isValidTag, type Reference,
} from './reference.js';
