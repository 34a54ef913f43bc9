/**
 * `npm run bench -- <scenario> [options]` runs one benchmark script from bench/;
 * `npm run bench -- all [options]` runs every scenario, each in a process of its own, passing
 * the same options to each (a scenario reads the ones it knows), and keeps going past failures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { markdownTable } from './common.js';

/** Issue 8's six scenarios in its order, then the earlier ones: the order `all` runs them in. */
const SCENARIOS = [
  'feed-read',
  'feed-naive',
  'feed-scale',
  'fanout',
  'mixed',
  'media',
  'http-auth',
  'timeline-memory',
  'engagement',
] as const;

const fileOf = (scenario: string) => new URL(`./${scenario}.ts`, import.meta.url);
const elapsed = (since: number) => Math.round((performance.now() - since) / 100) / 10;

interface Outcome {
  scenario: string;
  status: string;
  ok: boolean;
  seconds: number;
}

let current: ChildProcess | null = null;
let stopping = false;

/** The scenario under the same tsx loader as this process, its output straight to ours. */
function runChild(scenario: string, options: readonly string[]): Promise<{ ok: boolean; status: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), scenario, ...options],
      { stdio: 'inherit' },
    );
    current = child;
    child.once('error', (err) => resolve({ ok: false, status: `could not start: ${err.message}` }));
    child.once('exit', (code, signal) =>
      resolve({
        ok: code === 0,
        status: signal ? `killed by ${signal}` : code === 0 ? 'ok' : `exit ${code}`,
      }),
    );
  });
}

async function runOne(scenario: string, options: readonly string[], position: string): Promise<Outcome> {
  const command = ['npm run bench --', scenario, ...options].join(' ');
  console.log(`\n=== ${position} ${scenario} (${command}) at ${new Date().toISOString()} ===\n`);
  const started = performance.now();
  if (!existsSync(fileOf(scenario))) {
    console.error(`${scenario}: bench/${scenario}.ts does not exist`);
    return { scenario, status: `missing: no bench/${scenario}.ts`, ok: false, seconds: 0 };
  }
  const { ok, status } = await runChild(scenario, options);
  current = null;
  return { scenario, status, ok, seconds: elapsed(started) };
}

async function runAll(options: readonly string[]): Promise<void> {
  // Ctrl-C reaches the running scenario too (same process group): let it clean up, run no more.
  process.on('SIGINT', () => {
    stopping = true;
    console.error('\nSIGINT: stopping after the running scenario has cleaned up');
  });
  // A SIGTERM is sent to this process alone: pass it on.
  process.on('SIGTERM', () => {
    stopping = true;
    current?.kill('SIGTERM');
  });
  const started = performance.now();
  const outcomes: Outcome[] = [];
  for (const [i, scenario] of SCENARIOS.entries()) {
    if (stopping) outcomes.push({ scenario, status: 'not run (interrupted)', ok: false, seconds: 0 });
    else outcomes.push(await runOne(scenario, options, `[${i + 1}/${SCENARIOS.length}]`));
  }
  const failed = outcomes.filter((o) => !o.ok).length;
  console.log(
    `\n=== all: ${outcomes.length - failed} of ${outcomes.length} scenarios ran to the end, in ${elapsed(started)} s ===\n`,
  );
  console.log(
    markdownTable(
      ['scenario', 'result', 'wall time (s)'],
      outcomes.map((o) => [o.scenario, o.status, o.seconds]),
    ),
  );
  process.exitCode = stopping ? 130 : failed ? 1 : 0;
}

const [scenario, ...options] = process.argv.slice(2);
if (scenario === 'all') await runAll(options);
else if (scenario && (SCENARIOS as readonly string[]).includes(scenario)) {
  if (!existsSync(fileOf(scenario))) {
    console.error(`${scenario}: bench/${scenario}.ts does not exist (yet)`);
    process.exit(1);
  }
  await import(`./${scenario}.js`);
} else {
  console.error(
    [
      `usage: npm run bench -- <all|${SCENARIOS.join('|')}> [options]`,
      "Options are the scenario's own (see the comment at the top of bench/<scenario>.ts); `all` runs",
      'every scenario in the order above, each in its own process, with the same options.',
    ].join('\n'),
  );
  process.exit(2);
}
