/**
 * A gateway's bound on the API requests it works on at once. Past it a request is refused at once (503 with
 * Retry-After) rather than queued: a queue only adds its wait to every answer once the node is saturated, while
 * a refusal costs the client one quick retry and keeps the answers of those admitted as fast as at normal load.
 */
export class Admission {
  private inFlight = 0;
  private refusedTotal = 0;

  constructor(private readonly limit: number) {}

  /** Takes a place, or answers false when none is free. Every true must be followed by exactly one leave(). */
  tryEnter(): boolean {
    if (this.inFlight >= this.limit) {
      this.refusedTotal++;
      return false;
    }
    this.inFlight++;
    return true;
  }

  leave(): void {
    if (this.inFlight > 0) this.inFlight--;
  }

  get current(): number {
    return this.inFlight;
  }

  get refused(): number {
    return this.refusedTotal;
  }
}
