// pierd: the pier daemon's entry point — argv → config → Daemon, exit code.
import { loadConfig, USAGE } from '../daemon/config.js';
import { Daemon, PIER_VERSION } from '../daemon/daemon.js';
import { InvalidParameterError } from '../errdefs/index.js';

async function main(): Promise<number> {
  let cfg;
  try {
    cfg = loadConfig(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`pierd: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  if (cfg.showHelp) { process.stdout.write(USAGE); return 0; }
  if (cfg.showVersion) { process.stdout.write(`pier version ${PIER_VERSION}\n`); return 0; }
  const d = new Daemon(cfg);
  let stopping = false;
  const shutdown = (sig: string): void => {
    if (stopping) return;
    stopping = true;
    d.log.info('shutting down', { signal: sig });
    d.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGPIPE', () => { /* a client vanished: handled per connection */ });
  // A promise nobody awaited that failed is a bug to log, not a reason to drop every
  // client and container stream this daemon serves.
  process.on('unhandledRejection', (err) => { d.log.error('unhandled rejection (a bug: please report it)', { err: err instanceof Error ? err.stack ?? err.message : String(err) }); });
  try {
    await d.start();
  } catch (err) {
    // Bad configuration is the user's to fix: one line says what and how. Anything else is logged whole.
    if (!(err instanceof InvalidParameterError)) d.log.error('pierd failed to start', { err });
    process.stderr.write(`pierd: ${err instanceof Error ? err.message : String(err)}\n`);
    await d.stop().catch(() => undefined);
    return 1;
  }
  return -1;
}

main().then((code) => { if (code >= 0) process.exitCode = code; }, (err: unknown) => {
  process.stderr.write(`pierd: ${String(err)}\n`);
  process.exitCode = 1;
});
