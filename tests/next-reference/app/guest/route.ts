import { route } from "@/lib/routes";

export const dynamic = "force-dynamic";
export const GET = route("guest");
export const POST = route("startGuest");
