/**
 * How the reference servers run their background work: one run at a time, either when a test
 * asks for it or, in 'auto' mode, a short debounce after the last write (as the real backends
 * defer their work until writes settle).
 */
export class WorkScheduler<O> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly mode: 'auto' | 'manual',
    private readonly work: (options: O) => Promise<void>,
    // Trailing, like the real servers (30 s on Agent Memory Server): long enough that work never lands inside a turn.
    private readonly debounceMs = 1000,
  ) {}

  /** A write happened: in 'auto' mode, (re)start the debounce. */
  poke(defaults: O): void {
    if (this.mode !== 'auto') return;
    clearTimeout(this.timer);
    // A failed automatic run has no caller to report to; the next write schedules another.
    this.timer = setTimeout(() => void this.run(defaults).catch(() => undefined), this.debounceMs);
    this.timer.unref();
  }

  /** Runs the work after any run already under way. */
  run(options: O): Promise<void> {
    const next = this.running.then(() => this.work(options));
    this.running = next.catch(() => undefined);
    return next;
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
