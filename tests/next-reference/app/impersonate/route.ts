import { route } from "@/lib/routes";

export const dynamic = "force-dynamic";
export const POST = route("impersonate");
