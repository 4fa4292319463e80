/**
 * DynamoDB for the contenders: one SDK client configuration for Tessera's store and the raw
 * GetItem floor (same endpoint, same keep-alive agent, same retries), and the size of an item by
 * DynamoDB's own sizing rules, for the footprint.
 */
import { type AttributeValue, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { BenchContext } from "./contender.js";

/** An SDK v3 client for the run's dynalite, with dummy credentials. */
export function dynamoClient(context: BenchContext): DynamoDBClient {
  if (!context.dynamodbEndpoint) throw new Error("no dynalite endpoint in the bench context");
  return new DynamoDBClient({
    endpoint: context.dynamodbEndpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "tessera-bench", secretAccessKey: "tessera-bench" },
    maxAttempts: 2,
  });
}

/** A table name unique to one contender of this run. */
export function dynamoTableName(context: BenchContext, label: string): string {
  return `tessera-bench-${label}-${context.redisPrefix.replace(/[^A-Za-z0-9]/g, "")}`;
}

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) {
    // DynamoDB: about one byte per two significant digits, plus one.
    const digits = value.N.replace(/^[-+]?0*|\.|e.*$/gi, "").length;
    return Math.ceil(digits / 2) + 1;
  }
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + 1 + valueBytes(v), 0);
  if (value.M !== undefined) return 3 + itemBytes(value.M) + Object.keys(value.M).length;
  if (value.SS !== undefined) return value.SS.reduce((sum, v) => sum + Buffer.byteLength(v), 0);
  return 0;
}

/** An item's size as DynamoDB counts it: attribute names plus values (approximately, for N). */
export function itemBytes(item: Record<string, AttributeValue>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item))
    bytes += Buffer.byteLength(name) + valueBytes(value);
  return bytes;
}
