/**
 * Demo accounts: usernames and scrypt password hashes (node:crypto, OWASP parameters). Nobody is
 * admin by signing up: the operator names the admin (`DEMO_ADMIN`, or `npm run demo:admin`).
 */
import { randomBytes, randomUUID, scrypt, timingSafeEqual } from "node:crypto";
import type { AppDatabase } from "./database.js";
import type { HashGate } from "./limits.js";

/** An account as the pages see it. */
export interface Account {
  id: string;
  username: string;
  isAdmin: boolean;
  /** Set while an admin acts as this user (an impersonation session): the admin's user id. */
  impersonatedBy?: string | null;
}

// OWASP Password Storage Cheat Sheet: scrypt N=2^17, r=8, p=1.
const COST = { N: 2 ** 17, r: 8, p: 1, maxmem: 256 * 1024 * 1024 };
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, cost = COST): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFKC"), salt, KEY_LENGTH, cost, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

async function hashPassword(
  password: string,
  gate: HashGate,
  address?: string | null,
): Promise<string> {
  const salt = randomBytes(16);
  const key = await gate(() => derive(password, salt), address);
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

async function passwordMatches(
  password: string,
  stored: string,
  gate: HashGate,
  address?: string | null,
): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !key) return false;
  const expected = Buffer.from(key, "base64url");
  const actual = await gate(
    () =>
      derive(password, Buffer.from(salt, "base64url"), {
        ...COST,
        N: Number(n),
        r: Number(r),
        p: Number(p),
      }),
    address,
  );
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Why a sign-up was refused, in words for the page. */
export class SignupRefused extends Error {
  override name = "SignupRefused";
}

const USERNAME = /^[a-z0-9_-]{3,32}$/;

interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  is_admin: boolean;
}

const toAccount = (row: UserRow): Account => ({
  id: row.id,
  username: row.username,
  isAdmin: row.is_admin,
});

/**
 * Account operations over the demo database. Every scrypt call goes through `gate`, which
 * bounds how many run at once, and how many one client address holds (it throws `HashingBusy`
 * beyond that): each call takes the client's address for that.
 */
export function createAccounts(database: AppDatabase, gate: HashGate) {
  // Hash of a random password, compared against when the username is unknown, so a wrong
  // username takes as long as a wrong password (no account discovery by timing).
  const decoy = hashPassword(randomUUID(), (task) => task());

  return {
    /** Creates an account; throws `SignupRefused` with a readable reason. */
    async signUp(username: string, password: string, address?: string): Promise<Account> {
      const name = username.trim().toLowerCase();
      if (!USERNAME.test(name)) {
        throw new SignupRefused("Usernames are 3 to 32 letters, digits, _ or -.");
      }
      if (password.length < 8 || password.length > 256) {
        throw new SignupRefused("Passwords are 8 to 256 characters.");
      }
      const hash = await hashPassword(password, gate, address);
      const { rows } = await database.query<UserRow>(
        `INSERT INTO demo_users (id, username, password_hash, is_admin)
         VALUES ($1, $2, $3, false)
         ON CONFLICT (username) DO NOTHING
         RETURNING id, username, password_hash, is_admin`,
        [randomUUID(), name, hash],
      );
      const row = rows[0];
      if (!row) throw new SignupRefused("That username is taken.");
      return toAccount(row);
    },

    /** The account if the password is right, else `null` (same answer for unknown users). */
    async logIn(username: string, password: string, address?: string): Promise<Account | null> {
      const name = username.trim().toLowerCase();
      const { rows } = USERNAME.test(name)
        ? await database.query<UserRow>(
            "SELECT id, username, password_hash, is_admin FROM demo_users WHERE username = $1",
            [name],
          )
        : { rows: [] };
      const row = rows[0];
      const ok = await passwordMatches(
        password.slice(0, 256),
        row?.password_hash ?? (await decoy),
        gate,
        address,
      );
      return row && ok ? toAccount(row) : null;
    },

    /** Checks the password of a known account (step-up). */
    async checkPassword(userId: string, password: string, address?: string): Promise<boolean> {
      const { rows } = await database.query<UserRow>(
        "SELECT password_hash FROM demo_users WHERE id = $1",
        [userId],
      );
      const stored = rows[0]?.password_hash ?? (await decoy);
      const matches = await passwordMatches(password.slice(0, 256), stored, gate, address);
      return matches && rows.length === 1;
    },

    /** Replaces the password. */
    async changePassword(userId: string, password: string, address?: string): Promise<void> {
      if (password.length < 8 || password.length > 256) {
        throw new SignupRefused("Passwords are 8 to 256 characters.");
      }
      await database.query("UPDATE demo_users SET password_hash = $2 WHERE id = $1", [
        userId,
        await hashPassword(password, gate, address),
      ]);
    },

    /**
     * Makes an existing account the admin (the operator's bootstrap: `DEMO_ADMIN` or the
     * `demo:admin` command). Resolves `false` when no account has that username.
     */
    async promote(username: string): Promise<boolean> {
      const { rows } = await database.query<{ id: string }>(
        "UPDATE demo_users SET is_admin = true WHERE username = $1 RETURNING id",
        [username.trim().toLowerCase()],
      );
      return rows.length === 1;
    },

    /** Reads an account by username (case-insensitive, as signed up), for the admin's tools. */
    async findByUsername(username: string): Promise<Account | null> {
      const { rows } = await database.query<UserRow>(
        "SELECT id, username, password_hash, is_admin FROM demo_users WHERE username = $1",
        [username.trim().toLowerCase()],
      );
      return rows[0] ? toAccount(rows[0]) : null;
    },

    /** Reads an account by id. */
    async find(userId: string): Promise<Account | null> {
      const { rows } = await database.query<UserRow>(
        "SELECT id, username, password_hash, is_admin FROM demo_users WHERE id = $1",
        [userId],
      );
      return rows[0] ? toAccount(rows[0]) : null;
    },
  };
}

/** The account operations. */
export type Accounts = ReturnType<typeof createAccounts>;
