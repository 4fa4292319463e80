/**
 * The DynamoDB floor on one framework (`options.framework`): a hand-rolled session that costs
 * exactly one strongly consistent GetItem per request (random id in a cookie, one item per
 * session), through the same SDK client settings and the same dynalite as Tessera's store.
 */
import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { createTable } from "@tessera/dynamodb/setup";
import { defineContender } from "../contender.js";
import { dynamoClient, dynamoTableName, itemBytes } from "../dynamodb-kit.js";
import { cookieApp, frameworkOf } from "../frameworks.js";
import { newRawSessionId, rawSessionCookie, rawSessionIdOf } from "../raw-session.js";

export default defineContender(async (context) => {
  const client = dynamoClient(context);
  const framework = frameworkOf(context.options);
  const tableName = dynamoTableName(context, `raw-${framework}`);
  // The same key schema as Tessera's table (pk + sk strings), made by the same helper.
  await createTable(client, { tableName, pollInterval: 50 });
  const key = (id: string) => ({ pk: { S: `raw#${id}` }, sk: { S: `raw#${id}` } });
  return {
    app: await cookieApp(framework, async (cookie) => {
      const id = rawSessionIdOf(cookie);
      if (!id) return null;
      const { Item } = await client.send(
        new GetItemCommand({ TableName: tableName, Key: key(id), ConsistentRead: true }),
      );
      return Item?.userId?.S ?? null;
    }),
    async prepare() {
      const id = newRawSessionId();
      const item = { ...key(id), userId: { S: context.userId } };
      await client.send(new PutItemCommand({ TableName: tableName, Item: item }));
      return {
        setCookie: rawSessionCookie(id),
        userId: context.userId,
        storedBytes: itemBytes(item),
        storedHow: "DynamoDB item size",
      };
    },
    close: async () => client.destroy(),
  };
});
