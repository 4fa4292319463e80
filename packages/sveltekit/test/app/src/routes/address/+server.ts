import { json } from "@sveltejs/kit";

/** What adapter-node reports (ADDRESS_HEADER may make it read a header) beside the session's. */
export const GET = ({ getClientAddress, locals }) =>
  json({ adapter: getClientAddress(), session: locals.session?.client.ip ?? null });
