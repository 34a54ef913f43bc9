import cliProgress from 'cli-progress';

/**
 * One progress bar per phase, with rate and ETA: a live bar on a terminal, a line every few
 * seconds in a log (CI, `| tee`).
 */
export class Progress {
  readonly #bar: cliProgress.SingleBar;
  readonly #started = performance.now();
  #value = 0;
  #total: number;

  constructor(label: string, total: number, unit: string) {
    this.#total = total;
    this.#bar = new cliProgress.SingleBar(
      {
        format: `${label.padEnd(16)} {bar} {percentage}% | {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta_formatted}`,
        formatValue: (v, _options, type) => (type === 'value' || type === 'total' ? fmt(v) : String(v)),
        noTTYOutput: true,
        notTTYSchedule: 5_000,
        etaBuffer: 50,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    this.#bar.start(total, 0, { rate: '0' });
  }

  add(n: number): void {
    this.#value += n;
    this.#bar.update(this.#value, { rate: fmt(this.#value / this.seconds()) });
  }

  /** Work discovered on the way: the total grows by `n`. */
  grow(n: number): void {
    this.#total += n;
    this.#bar.setTotal(this.#total);
  }

  /** Stops the bar and returns the phase's seconds. */
  done(): number {
    this.#bar.update(this.#value, { rate: fmt(this.#value / this.seconds()) });
    this.#bar.stop();
    return this.seconds();
  }

  seconds(): number {
    return Math.max(0.001, (performance.now() - this.#started) / 1000);
  }
}

export const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
