export {
  type CloudFormationTable,
  cloudFormationTable,
  type KeyElement,
  type TableLayout,
  tableDefinition,
} from "./layout.js";
export { DynamoDBStore, type DynamoDBStoreOptions } from "./store.js";
export { type CreateTableOptions, type CreateTableResult, createTable } from "./table.js";
