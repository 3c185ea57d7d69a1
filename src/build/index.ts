/**
 * build: Dockerfile → image, as docker's legacy builder (the `/build` endpoint)
 * does it, with BuildKit's skipping of unneeded stages and `RUN --mount=type=cache`.
 * Every step's result is an image (the parent of the next); a cache maps
 * (parent, step, copied content) to it, so a rebuild reuses exactly the steps
 * whose inputs are unchanged. RUN runs in a real container (the `docker run`
 * path); COPY/ADD write into a created container's rootfs; each such step is
 * committed as one layer and its container removed, success or not.
 *
 * @example
 * const id = await builds.build(req.body, { ...options, tags: ['app:1'] }, (m) => res.write(JSON.stringify(m)));
 */
export { BuildService } from './build-service.js';
export type { BuildServiceOptions, BuildRequest } from './build-service.js';
export type { BuildMessage, BuildOptions } from './builder.js';
export { applyChanges } from './meta.js';
