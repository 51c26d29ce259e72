/** How a turn ends at one of its API's terminal statuses. */
interface TerminalStatus {
  /** The GenAI finish reason the turn's output gets. */
  finish: string;
  /** A failure: the turn's span is marked with the error the API reported. */
  failed?: boolean;
}

/**
 * One API's table of terminal statuses (each API keeps exactly one: assistants/run-statuses.ts,
 * responses/response-statuses.ts). A status not in it (queued, in_progress, a new one) is open.
 */
export class TerminalStatuses {
  private readonly table: Map<string, TerminalStatus>;

  constructor(table: Record<string, TerminalStatus>) {
    this.table = new Map(Object.entries(table));
  }

  /** The turn ends at this status. */
  isTerminal(status: string): boolean {
    return this.table.has(status);
  }

  /** The turn failed at this status. */
  failed(status: string): boolean {
    return this.table.get(status)?.failed === true;
  }

  /** The finish reason at this status (an unlisted status stands for itself). */
  finishReason(status: string): string {
    return this.table.get(status)?.finish ?? status;
  }
}
