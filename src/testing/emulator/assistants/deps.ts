import type { Entities } from '../engine/entities';
import type { Store } from '../engine/store';
import type { RunEngine } from './run-engine';

/** What the Assistants routes share: the entities and the run machines of one emulator. */
export interface Deps {
  store: Store;
  entities: Entities;
  engine: RunEngine;
}
