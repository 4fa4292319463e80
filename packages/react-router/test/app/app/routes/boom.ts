export function loader(): Response {
  throw new Error("an application bug");
}
