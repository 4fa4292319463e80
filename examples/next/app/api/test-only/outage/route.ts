/**
 * TEST-ONLY: POST {"down": true|false} switches the simulated store outage of lib/store.ts.
 * Answers 404 unless the server runs with TESSERA_EXAMPLE_TEST_HOOKS=1.
 */
import { setTestOutage, testHooksEnabled } from "@/lib/test-only-outage";

export const dynamic = "force-dynamic";

export async function POST(request: Request) {
  if (!testHooksEnabled) return new Response("Not found", { status: 404 });
  const { down } = (await request.json()) as { down?: unknown };
  setTestOutage(down === true);
  return Response.json({ down: down === true });
}
