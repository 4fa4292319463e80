export type { TableLayout } from "./layout.js";
export { DynamoDBStore, type DynamoDBStoreOptions } from "./store.js";
