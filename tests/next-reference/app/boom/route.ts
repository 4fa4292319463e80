import { route } from "@/lib/routes";

export const dynamic = "force-dynamic";
export const GET = route("boom");
