/**
 * TEST-ONLY levers of the reference app: configure, move the clock, count store reads, switch the
 * store. 404 unless the server runs with TESSERA_REFERENCE_TEST_HOOKS=1.
 */
import type { StoreMode } from "@tessera/store-test/doubles";
import { configure, current, type ReferenceConfig, testHooksEnabled } from "@/lib/reference";

export const dynamic = "force-dynamic";

export async function POST(request: Request, { params }: { params: Promise<{ action: string }> }) {
  if (!testHooksEnabled) return new Response("Not found", { status: 404 });
  const body = (await request.json().catch(() => ({}))) as Record<string, unknown>;
  switch ((await params).action) {
    case "configure":
      configure(body as ReferenceConfig);
      break;
    case "clock":
      current().offsetMs += Number(body.seconds) * 1000;
      break;
    case "store":
      current().setStore(body.mode as StoreMode);
      break;
    default:
      return new Response("Not found", { status: 404 });
  }
  return Response.json({ ok: true });
}

export async function GET(_request: Request, { params }: { params: Promise<{ action: string }> }) {
  if (!testHooksEnabled || (await params).action !== "reads") {
    return new Response("Not found", { status: 404 });
  }
  return Response.json({ reads: current().calls.get });
}
