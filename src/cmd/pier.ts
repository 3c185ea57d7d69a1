// pier: the docker-compatible CLI. Everything lives in src/cli; this only wires argv and the exit code.
import module from 'node:module';

module.enableCompileCache?.();
const { main } = await import('../cli/main.js');
process.exitCode = await main(process.argv.slice(2));
