/**
 * The catalog: which stores exist, by name and by id. Store ids are never reused, so data of a
 * dropped store left in lower tiers can never show through a new store of the same name.
 * Rebuilt on open from the checkpoint and the WAL's createStore/dropStore frames.
 */
import { PlanckError } from "../../protocol/errors.ts";
import { STORE_NAME_BYTES_MAX, STORES_MAX } from "../limits.ts";

/** A store's catalog entry. */
export interface StoreInfo {
  id: number;
  name: string;
}

const STORE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Validates a store name: letters, digits and underscores, not starting with a digit, at most
 * STORE_NAME_BYTES_MAX bytes. Names starting with "sys" are reserved for the system.
 * @throws PlanckError `invalid_argument` naming the store
 */
export function validateStoreName(name: unknown, options: { system?: boolean } = {}): string {
  if (typeof name !== "string" || !STORE_NAME.test(name) || name.length > STORE_NAME_BYTES_MAX) {
    throw new PlanckError(
      "invalid_argument",
      `Invalid store name "${
        String(name).slice(0, 80)
      }": use letters, digits and "_", not starting with a digit, at most ${STORE_NAME_BYTES_MAX} bytes`,
      { field: "store" },
    );
  }
  if (name.toLowerCase().startsWith("sys") && options.system !== true) {
    throw new PlanckError(
      "invalid_argument",
      `Invalid store name "${name}": names starting with "sys" are reserved`,
      {
        field: "store",
      },
    );
  }
  return name;
}

/** Stores by name and id. */
export class Catalog {
  readonly #byName = new Map<string, StoreInfo>();
  readonly #byId = new Map<number, StoreInfo>();
  #nextId = 1;

  /** The id the next created store gets. */
  get nextId(): number {
    return this.#nextId;
  }

  list(): StoreInfo[] {
    return [...this.#byName.values()].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  }

  byName(name: string): StoreInfo | undefined {
    return this.#byName.get(name);
  }

  byId(id: number): StoreInfo | undefined {
    return this.#byId.get(id);
  }

  /**
   * The store named `name`.
   * @throws PlanckError `not_found`
   */
  require(name: string): StoreInfo {
    const info = this.#byName.get(name);
    if (info === undefined) {
      throw new PlanckError("not_found", `Unknown store "${String(name).slice(0, 80)}"`, { field: "store" });
    }
    return info;
  }

  /** Checks that a store can be created (before its WAL frame is written). */
  checkCreate(name: string): void {
    if (this.#byName.has(name)) {
      throw new PlanckError("conflict", `Store "${name}" already exists`, { field: "store" });
    }
    if (this.#byName.size >= STORES_MAX) {
      throw new PlanckError("limit_exceeded", `Too many stores: the limit STORES_MAX is ${STORES_MAX}`, {
        limit: "STORES_MAX",
      });
    }
  }

  /** Records a created store (replay or live). */
  add(info: StoreInfo): void {
    this.#byName.set(info.name, info);
    this.#byId.set(info.id, info);
    if (info.id >= this.#nextId) this.#nextId = info.id + 1;
  }

  /** Makes sure ids below `nextId` are never handed out again. */
  reserve(nextId: number): void {
    if (nextId > this.#nextId) this.#nextId = nextId;
  }

  /** Records a dropped store. */
  remove(id: number): void {
    const info = this.#byId.get(id);
    if (info === undefined) return;
    this.#byId.delete(id);
    this.#byName.delete(info.name);
  }

  /** Serializable form for checkpoints. */
  toJSON(): { nextId: number; stores: StoreInfo[] } {
    return { nextId: this.#nextId, stores: this.list() };
  }

  /** Restores the checkpointed form. */
  static fromJSON(value: { nextId: number; stores: StoreInfo[] }): Catalog {
    const catalog = new Catalog();
    for (const store of value.stores) catalog.add(store);
    catalog.#nextId = Math.max(catalog.#nextId, value.nextId);
    return catalog;
  }
}
