import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { connect as amqpConnect } from 'amqplib';
import { Redis } from 'ioredis';
import pg from 'pg';
import { AMQP_URL, POSTGRES_ADMIN_URL, REDIS_URL } from '../apps/server/test/support/services.js';

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

/** A service's version, or null when it does not answer within two seconds. */
async function versionOf(ask: () => Promise<string | undefined>): Promise<string | null> {
  try {
    return (await ask()) ?? null;
  } catch {
    return null;
  }
}

async function postgresVersion(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version;
  } finally {
    await client.end();
  }
}

async function redisVersion(): Promise<string | undefined> {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    return /^redis_version:(.+)$/m.exec(await redis.info('server'))?.[1]?.trim();
  } finally {
    redis.disconnect();
  }
}

/** From the broker's AMQP handshake, so no rabbitmqctl (and no Erlang cookie) is needed. */
async function rabbitmqVersion(): Promise<string | undefined> {
  const connection = await amqpConnect(AMQP_URL, { timeout: 2_000 });
  try {
    return connection.connection.serverProperties.version;
  } finally {
    await connection.close();
  }
}

/** machine(), plus the versions of PostgreSQL, Redis and RabbitMQ (null where one is not reachable). */
export async function machineInfo<T extends object = object>(extra: T = {} as T) {
  const [postgres, redis, rabbitmq] = await Promise.all([
    versionOf(postgresVersion),
    versionOf(redisVersion),
    versionOf(rabbitmqVersion),
  ]);
  return { ...machine(), postgres, redis, rabbitmq, ...extra };
}

/** One line for a report: "2 vCPUs (AMD EPYC), 24 GiB, Node.js v20.20.2, PostgreSQL 15.20, …". */
export function describeMachine(info: Awaited<ReturnType<typeof machineInfo>>): string {
  const services = [
    ['PostgreSQL', info.postgres],
    ['Redis', info.redis],
    ['RabbitMQ', info.rabbitmq],
  ].filter(([, version]) => version);
  return [
    `${info.cpus} vCPUs (${info.model ?? 'unknown CPU'})`,
    `${info.memoryGiB} GiB`,
    `Node.js ${info.node}`,
    ...services.map(([name, version]) => `${name} ${version}`),
  ].join(', ');
}

/** bench/results/<scenario>.json, pretty-printed. */
export async function writeResults(scenario: string, report: unknown): Promise<void> {
  await writeFile(
    new URL(`./results/${scenario}.json`, import.meta.url),
    `${JSON.stringify(report, null, 2)}\n`,
  );
}

/** How this run was started, for its report: "npm run bench -- media --images 10". */
export function commandLine(): string {
  return ['npm run bench --', ...process.argv.slice(2)].join(' ');
}

/** bench/results/<scenario>.md, and the same on stdout: the run's figures for a person to read. */
export async function writeReport(scenario: string, markdown: string): Promise<void> {
  const text = `${markdown.trimEnd()}\n`;
  await writeFile(new URL(`./results/${scenario}.md`, import.meta.url), text);
  process.stdout.write(`\n${text}`);
}

/** 1234567.5 → "1,234,567.5"; with `decimals`, exactly that many digits after the point. */
export function formatNumber(value: number, decimals?: number): string {
  if (!Number.isFinite(value)) return String(value);
  const text = decimals === undefined ? String(value) : value.toFixed(decimals);
  return text.replace(/\d+/, (whole) => whole.replace(/\B(?=(\d{3})+$)/g, ','));
}

/**
 * A GitHub table padded as prettier prints one, so it reads in a terminal too. Columns of
 * numbers (empty strings allowed, for a figure a run did not measure) are right-aligned; numbers
 * are grouped in thousands.
 */
export function markdownTable(headers: string[], rows: (string | number)[][]): string {
  for (const row of rows)
    if (row.length !== headers.length)
      throw new Error(`a row of ${row.length} cells in a table of ${headers.length} columns`);
  const cell = (value: string | number) =>
    typeof value === 'number' ? formatNumber(value) : value.replace(/\n/g, ' ').replace(/\|/g, '\\|');
  const right = headers.map(
    (_, c) =>
      rows.some((row) => typeof row[c] === 'number') &&
      rows.every((row) => typeof row[c] === 'number' || row[c] === ''),
  );
  const text = [headers.map(cell), ...rows.map((row) => row.map(cell))];
  const widths = headers.map((_, c) => Math.max(3, ...text.map((row) => row[c]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((v, c) => (right[c] ? v.padStart(widths[c]!) : v.padEnd(widths[c]!))).join(' | ')} |`;
  const rule = widths.map((w, c) => (right[c] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w)));
  return [line(text[0]!), `| ${rule.join(' | ')} |`, ...text.slice(1).map(line)].join('\n');
}

/** One cleanup step: a failure is reported, and the steps after it still run. */
export async function attempt(what: string, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (err) {
    console.error(`cleanup: ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Ctrl-C, or the SIGTERM that `npm run bench -- all` passes on, runs the scenario's cleanup and
 * exits with 130. `interrupted` tells the scenario's loops to stop and its error report that the
 * failure was the interruption.
 */
export function cleanUpOnSignals(cleanup: () => Promise<void>): { readonly interrupted: boolean } {
  const state = { interrupted: false };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      state.interrupted = true;
      console.error(`\n${signal}: stopping`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  return state;
}
