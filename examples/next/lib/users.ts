/** Two demo accounts. A real app checks a password hash (argon2id) from its database. */
const USERS: Record<string, { password: string; name: string }> = {
  alice: { password: "wonderland", name: "Alice" },
  bob: { password: "builder", name: "Bob" },
};

/** The user id for valid credentials, else null. */
export function checkCredentials(username: unknown, password: unknown): string | null {
  if (typeof username !== "string" || typeof password !== "string") return null;
  const user = Object.hasOwn(USERS, username) ? USERS[username] : undefined;
  return user && user.password === password ? username : null;
}

/** Display name of a user id. */
export function displayName(userId: string): string {
  return USERS[userId]?.name ?? userId;
}
