/** `npm run bench -- <scenario> [options]`: runs one benchmark script from bench/. */
const SCENARIOS = ['http-auth', 'media', 'timeline-memory', 'feed', 'engagement'] as const;
const scenario = process.argv[2];
if (!scenario || !(SCENARIOS as readonly string[]).includes(scenario)) {
  console.error(`usage: npm run bench -- <${SCENARIOS.join('|')}> [--duration s] [--connections n]`);
  process.exit(2);
}
await import(`./${scenario}.js`);
