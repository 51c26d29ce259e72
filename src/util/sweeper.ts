/** A background timer (unref'd, so it never keeps the process alive) that ends entities past their TTL. */
export class Sweeper {
  private timer?: ReturnType<typeof setInterval>;

  constructor(
    private readonly ttlMs: number,
    private readonly sweep: () => void,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(this.sweep, Math.max(1000, Math.min(60_000, this.ttlMs / 4)));
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
