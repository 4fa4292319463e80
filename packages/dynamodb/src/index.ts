export { type DynamoDBStoreOptions, DynamoDBStore } from "./store.js";
export { cloudFormationTable, type TableLayout, tableDefinition } from "./layout.js";
export { type CreateTableOptions, type CreateTableResult, createTable } from "./table.js";
