/**
 * bench/lib/report-input.mjs: what every bench report script reads from its
 * command line: either RESULTS.jsonl MACHINE.json OUT.json (a fresh run), or
 * --from a saved bench/results/*.json to re-render it (then nothing is written);
 * --markdown asks for a Markdown table.
 */
import { readFileSync } from 'node:fs';

export function reportInput(argv = process.argv.slice(2)) {
  const args = argv.filter((a) => !a.startsWith('--'));
  const markdown = argv.includes('--markdown');
  if (argv.includes('--from')) {
    const { results, machine } = JSON.parse(readFileSync(args[0], 'utf8'));
    return { results, machine, outPath: undefined, markdown };
  }
  const [resultsPath, machinePath, outPath] = args;
  const results = readFileSync(resultsPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const machine = JSON.parse(readFileSync(machinePath, 'utf8'));
  return { results, machine, outPath, markdown };
}
