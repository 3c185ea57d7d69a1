import type { ContainerConfig } from '../pkg/engine/index.js';
import type { ImageConfigFile } from '../images/index.js';
import { mergeImageEnv } from './oci-spec.js';

type ImageCfg = NonNullable<ImageConfigFile['config']>;

/**
 * docker's create-time merge of the image config into the container config, so
 * `inspect` shows what runs (Env, Cmd, Entrypoint, WorkingDir, Labels, …).
 * Entrypoint rules: a user entrypoint drops the image's Cmd unless Cmd is given.
 */
export function mergeImageConfig(config: ContainerConfig, image: ImageCfg): ContainerConfig {
  const out: ContainerConfig = { ...config };
  const userEp = config.Entrypoint;
  if (userEp === null || userEp === undefined) {
    out.Entrypoint = image.Entrypoint ?? null;
    if (!config.Cmd || config.Cmd.length === 0) out.Cmd = image.Cmd ?? null;
  }
  const env = mergeImageEnv(config.Env, image.Env);
  out.Env = env.length ? env : config.Env;
  if (!out.WorkingDir) out.WorkingDir = image.WorkingDir ?? '';
  if (!out.User) out.User = image.User ?? '';
  if (image.Labels) out.Labels = { ...image.Labels, ...(config.Labels ?? {}) };
  if (image.ExposedPorts) out.ExposedPorts = { ...(image.ExposedPorts as Record<string, Record<string, never>>), ...(config.ExposedPorts ?? {}) };
  if (image.Volumes) out.Volumes = { ...(image.Volumes as Record<string, Record<string, never>>), ...(config.Volumes ?? {}) };
  if (!out.StopSignal && image.StopSignal) out.StopSignal = image.StopSignal;
  if (!out.Healthcheck && image.Healthcheck) out.Healthcheck = image.Healthcheck as NonNullable<ContainerConfig['Healthcheck']>;
  if (!out.Shell && image.Shell) out.Shell = image.Shell;
  return out;
}
