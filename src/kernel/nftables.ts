import { exec } from './exec.js';

/** Applies an nft script as one atomic transaction (all of it or none of it). */
export async function nftApply(script: string): Promise<void> {
  await exec('nft', ['-f', '-'], { input: script });
}

/** Lists the tables of a family ("ip pier-x" lines as nft prints them). */
export async function nftTables(): Promise<string[]> {
  const r = await exec('nft', ['list', 'tables'], { allowFailure: true });
  return r.code === 0 ? r.stdout.split('\n').map((l) => l.trim()).filter(Boolean) : [];
}
