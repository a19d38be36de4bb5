/** A minimal observable value for React's useSyncExternalStore (app status, notices). */
export class Observable<T> {
  private readonly listeners = new Set<() => void>();

  constructor(private value: T) {}

  get = (): T => this.value;

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  set(patch: Partial<T>): void {
    this.value = { ...this.value, ...patch };
    for (const fn of this.listeners) fn();
  }
}
