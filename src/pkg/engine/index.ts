/**
 * engine: the Docker Engine API object shapes (API 1.50) that pier's services
 * keep as their records and the API serves: container Config, HostConfig,
 * State, mounts, port maps. Pure types and constants, no pier state; shared by
 * the services, `api/`, `client/` and `cli/` so one definition exists per shape.
 *
 * Field names follow the Engine API exactly (PascalCase), so a record is its
 * own wire form. Zero values mean "unset", as docker's do.
 */
export * from './types.js';
