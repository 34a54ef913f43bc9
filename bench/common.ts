import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';

/** `--name value` from the command line as a number, or the fallback. */
export function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

/** What every result file says about the machine, plus the scenario's own versions and readings. */
export function machine<T extends object = object>(extra: T = {} as T) {
  return {
    cpus: cpus().length,
    model: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    ...extra,
  };
}

/** bench/results/<scenario>.json, pretty-printed. */
export async function writeResults(scenario: string, report: unknown): Promise<void> {
  await writeFile(
    new URL(`./results/${scenario}.json`, import.meta.url),
    `${JSON.stringify(report, null, 2)}\n`,
  );
}
