/** The part of Bun's built-in `bun:sqlite` the test server uses (Bun's own types are not installed). */
declare module "bun:sqlite" {
  export class Database {
    constructor(filename: string);
    exec(sql: string): void;
    query(sql: string): { get(...params: unknown[]): unknown };
    close(): void;
  }
}
