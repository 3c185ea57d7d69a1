/**
 * seccomp: docker-format seccomp profiles (moby `profiles/seccomp`, containers-common's
 * /usr/share/containers/seccomp.json) turned into an OCI `linux.seccomp` section.
 *
 * A docker profile is a template: `archMap` lists sub-architectures per native architecture and
 * each rule may carry `includes`/`excludes` conditions on capabilities, architecture and kernel
 * version. `toOciSeccomp` resolves them for one container (its bounding capabilities), which is
 * why it runs when the spec is built, after the capabilities are known.
 *
 * @example
 * const profile = loadDefaultSeccompProfile();            // read once at daemon start
 * spec.linux.seccomp = toOciSeccomp(profile, { caps: spec.process.capabilities.bounding, arch: 'amd64' });
 */
export * from './profile.js';
export * from './to-oci.js';
export * from './load.js';
export { narrowToDockerDefaults } from './docker-compat.js';
