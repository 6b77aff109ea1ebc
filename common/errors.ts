/** Base of every error StreetWatch raises on purpose; `code` is stable for scripts and logs. */
export class StreetWatchError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
